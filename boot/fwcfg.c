/*
 * fwcfg.c - QEMU's fw_cfg through the I/O ports: a 16-bit selector at
 * 0x510, data bytes at 0x511.  Selector 0 reads the signature "QEMU",
 * selector 0x19 the file directory: a big-endian count, then 64-byte
 * entries {size BE32, select BE16, reserved BE16, name[56]}.
 */
#include <stdint.h>
#include <string.h>

#include "io.h"
#include "kernel.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019

static void fw_select(uint16_t key) { outw(FW_CFG_PORT_SEL, key); }

static void fw_read(void *buf, size_t len)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = inb(FW_CFG_PORT_DATA);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

long fwcfg_read_file(const char *name, void *buf, size_t len)
{
	uint8_t sig[4], cnt[4];
	fw_select(FW_CFG_SIGNATURE);
	fw_read(sig, 4);
	if (memcmp(sig, "QEMU", 4) != 0)
		return -1;
	fw_select(FW_CFG_FILE_DIR);
	fw_read(cnt, 4);
	uint32_t n = be32(cnt);
	for (uint32_t i = 0; i < n && i < 4096; i++) {
		uint8_t e[64];
		fw_read(e, sizeof e);
		e[63] = 0;
		if (strcmp((const char *)e + 8, name) != 0)
			continue;
		uint32_t size = be32(e);
		uint16_t sel = (uint16_t)(e[4] << 8 | e[5]);
		fw_select(sel);
		fw_read(buf, size < len ? size : len);
		return size;
	}
	return -1;
}
