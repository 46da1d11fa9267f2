/*
 * fwcfg.c - reading a named file from QEMU's fw_cfg device.  Selector 0
 * reads the signature "QEMU", selector 0x19 the file directory: a
 * big-endian count, then 64-byte entries {size BE32, select BE16,
 * reserved BE16, name[56]}, as QEMU's fw_cfg specification lays them out.
 * How the device is reached is the architecture's (arch_fwcfg_select,
 * arch_fwcfg_read).
 */
#include <stdint.h>
#include <string.h>

#include "kernel/byteorder.h"
#include "kernel/fwcfg.h"

#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019

long fwcfg_read_file(const char *name, void *buf, size_t len)
{
	uint8_t sig[4], cnt[4];
	arch_fwcfg_select(FW_CFG_SIGNATURE);
	arch_fwcfg_read(sig, 4);
	if (memcmp(sig, "QEMU", 4) != 0)
		return -1;
	arch_fwcfg_select(FW_CFG_FILE_DIR);
	arch_fwcfg_read(cnt, 4);
	uint32_t n = be32(cnt);
	for (uint32_t i = 0; i < n && i < 4096; i++) {
		uint8_t e[64];
		arch_fwcfg_read(e, sizeof e);
		e[63] = 0;
		if (strcmp((const char *)e + 8, name) != 0)
			continue;
		uint32_t size = be32(e);
		arch_fwcfg_select(be16(e + 4));
		arch_fwcfg_read(buf, size < len ? size : len);
		return size;
	}
	return -1;
}
