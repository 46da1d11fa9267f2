/*
 * fwcfg.c - reading QEMU's fw_cfg device.  Selector 0 reads the signature
 * "QEMU", selector 0x19 the file directory: a big-endian count, then
 * 64-byte entries {size BE32, select BE16, reserved BE16, name[56]}, as
 * QEMU's fw_cfg specification lays them out.  Selectors 0x14 and 0x15 hold
 * the kernel command line QEMU loaded with -kernel (a little-endian 32-bit
 * size that counts the terminating NUL, then the bytes).  How the device is
 * reached is the architecture's (arch_fwcfg_select, arch_fwcfg_read).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/byteorder.h"
#include "kernel/fwcfg.h"

#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_CMDLINE_SIZE 0x0014
#define FW_CFG_CMDLINE_DATA 0x0015
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_MAX_FILES 4096   /* bound on a device-supplied count */

static bool fwcfg_present(void)
{
	uint8_t sig[4];
	arch_fwcfg_select(FW_CFG_SIGNATURE);
	arch_fwcfg_read(sig, 4);
	return memcmp(sig, "QEMU", 4) == 0;
}

/* Find a file: its size and selector; false when fw_cfg or it is absent. */
static bool find_file(const char *name, uint32_t *size, uint16_t *select)
{
	uint8_t cnt[4];
	if (!fwcfg_present())
		return false;
	arch_fwcfg_select(FW_CFG_FILE_DIR);
	arch_fwcfg_read(cnt, 4);
	uint32_t n = be32(cnt);
	for (uint32_t i = 0; i < n && i < FW_CFG_MAX_FILES; i++) {
		uint8_t e[64];
		arch_fwcfg_read(e, sizeof e);
		e[63] = 0;
		if (strcmp((const char *)e + 8, name) != 0)
			continue;
		*size = be32(e);
		*select = be16(e + 4);
		return true;
	}
	return false;
}

long fwcfg_file_size(const char *name)
{
	uint32_t size;
	uint16_t select;
	return find_file(name, &size, &select) ? (long)size : -1;
}

long fwcfg_read_file(const char *name, void *buf, size_t len)
{
	uint32_t size;
	uint16_t select;
	if (!find_file(name, &size, &select))
		return -1;
	arch_fwcfg_select(select);
	arch_fwcfg_read(buf, size < len ? size : len);
	return size;
}

long fwcfg_cmdline_length(void)
{
	uint8_t le[4];
	if (!fwcfg_present())
		return -1;
	arch_fwcfg_select(FW_CFG_CMDLINE_SIZE);
	arch_fwcfg_read(le, 4);
	uint32_t size = (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
			(uint32_t)le[3] << 24;
	return size ? (long)size - 1 : -1;
}

void fwcfg_read_cmdline(void *buf, size_t len)
{
	arch_fwcfg_select(FW_CFG_CMDLINE_DATA);
	arch_fwcfg_read(buf, len);
}
