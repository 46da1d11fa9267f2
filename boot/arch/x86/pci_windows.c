/*
 * pci_windows.c - where QEMU's x86 machines put PCI address ranges that no
 * firmware table states (kernel/pci_config.h).
 *
 * microvm with pcie=on has a generic PCIe host bridge whose ECAM sits at
 * 0xE0000000, listed in no MCFG, and no firmware assigns its BARs; the
 * 32-bit window below it, 0xC0000000-0xDFFFFFFF, is free for them.
 */
#include <stdint.h>

#include "kernel/pci_config.h"

#define MICROVM_ECAM_BASE 0xE0000000ull
#define MMIO_WINDOW_BASE 0xC0000000ull
#define MMIO_WINDOW_END 0xE0000000ull

uint64_t arch_pci_unlisted_ecam(void)
{
	return MICROVM_ECAM_BASE;
}

void arch_pci_bar_window(uint64_t *base, uint64_t *end)
{
	*base = MMIO_WINDOW_BASE;
	*end = MMIO_WINDOW_END;
}
