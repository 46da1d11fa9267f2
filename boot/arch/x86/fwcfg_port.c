/*
 * fwcfg_port.c - QEMU's fw_cfg on x86: a 16-bit selector written to port
 * 0x510, data bytes read from port 0x511.
 */
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/io.h"
#include "kernel/fwcfg.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511

void arch_fwcfg_select(uint16_t key)
{
	outw(FW_CFG_PORT_SEL, key);
}

void arch_fwcfg_read(void *buf, size_t len)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = inb(FW_CFG_PORT_DATA);
}
