/* mmio.h - 32-bit device register access at a physical (== virtual) address. */
#ifndef VSCSI_BOOT_KERNEL_MMIO_H
#define VSCSI_BOOT_KERNEL_MMIO_H

#include <stdint.h>

static inline uint32_t mmio_read32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }

#endif
