/*
 * pci_config.h - what kernel/pci.c asks of the architecture and the machine
 * (implemented in boot/arch/$(ARCH)/).
 *
 * Configuration space is reached through ECAM (PCIe 5.0 §7.2.2; the
 * windows are listed in ACPI's MCFG, PCI Firmware 3.2 §4.1.2) wherever a
 * window covers the function; otherwise
 * through the architecture's own mechanism, if it has one (x86: the
 * CONFIG_ADDRESS/CONFIG_DATA port pair of PCI Local Bus 3.0 §3.2.2.3.2).
 */
#ifndef VSCSI_BOOT_KERNEL_PCI_CONFIG_H
#define VSCSI_BOOT_KERNEL_PCI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

/* What a read of an absent function returns: all-ones of the width. */
static inline uint32_t pci_all_ones(unsigned width)
{
	return width == 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1;
}

/* Does the architecture's own configuration mechanism answer (a host bridge
 * behind it)?  Called once, by pci_init. */
bool arch_pci_config_probe(void);
/* Through that mechanism: all-ones (reads) or nothing (writes) for what it
 * cannot reach.  `off` is aligned to `width` (1, 2 or 4). */
uint32_t arch_pci_config_read(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
			      uint16_t off, unsigned width);
void arch_pci_config_write(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
			   uint16_t off, unsigned width, uint32_t v);

/* A machine may put a host bridge's ECAM where no MCFG lists it: its base
 * (bus 0, segment 0, buses 0-255), or 0 when there is no such candidate.
 * pci.c checks that a host bridge answers there before using it. */
uint64_t arch_pci_unlisted_ecam(void);
/* The 32-bit memory window [*base, *end) where pci.c places BARs that no
 * firmware assigned. */
void arch_pci_bar_window(uint64_t *base, uint64_t *end);

#endif
