/*
 * pci_cf8.c - PCI configuration mechanism #1 on x86 (PCI Local Bus 3.0
 * §3.2.2.3.2): the address of a dword goes to CONFIG_ADDRESS (port 0xCF8),
 * the data moves through CONFIG_DATA (ports 0xCFC-0xCFF).  It reaches the
 * first 256 bytes of each function of segment 0; kernel/pci.c uses it where
 * no ECAM window covers the function.
 */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/io.h"
#include "kernel/irq.h"
#include "kernel/pci_config.h"

#define CFG_ADDR 0xCF8
#define CFG_DATA 0xCFC
#define CFG_ENABLE 0x80000000u

bool arch_pci_config_probe(void)
{
	/* A host bridge latches the enable bit of CONFIG_ADDRESS and reads
	 * it back; with no bridge the port floats. */
	uint32_t old = inl(CFG_ADDR);
	outl(CFG_ADDR, CFG_ENABLE);
	bool ok = inl(CFG_ADDR) == CFG_ENABLE;
	outl(CFG_ADDR, old);
	return ok;
}

static bool reachable(uint16_t seg, uint16_t off)
{
	return seg == 0 && off < 256;
}

static void select_dword(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	outl(CFG_ADDR, CFG_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
			       (uint32_t)fn << 8 | (off & 0xFC));
}

uint32_t arch_pci_config_read(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
			      uint16_t off, unsigned width)
{
	if (!reachable(seg, off))
		return pci_all_ones(width);
	/* The address and the data access must not be split by an interrupt
	 * handler that reaches configuration space too. */
	uint64_t fl = irq_save();
	select_dword(bus, dev, fn, off);
	uint32_t v;
	switch (width) {
	case 1: v = inb(CFG_DATA + (off & 3)); break;
	case 2: v = inw(CFG_DATA + (off & 2)); break;
	default: v = inl(CFG_DATA); break;
	}
	irq_restore(fl);
	return v;
}

void arch_pci_config_write(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
			   uint16_t off, unsigned width, uint32_t v)
{
	if (!reachable(seg, off))
		return;
	uint64_t fl = irq_save();
	select_dword(bus, dev, fn, off);
	switch (width) {
	case 1: outb(CFG_DATA + (off & 3), (uint8_t)v); break;
	case 2: outw(CFG_DATA + (off & 2), (uint16_t)v); break;
	default: outl(CFG_DATA, v); break;
	}
	irq_restore(fl);
}
