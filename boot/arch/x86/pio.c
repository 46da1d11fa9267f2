/* pio.c - kernel/pio.h on x86: the in and out instructions. */
#include <stdint.h>

#include "arch/x86/io.h"
#include "kernel/pio.h"

uint8_t arch_port_read8(uint16_t port) { return inb(port); }
uint16_t arch_port_read16(uint16_t port) { return inw(port); }
uint32_t arch_port_read32(uint16_t port) { return inl(port); }
void arch_port_write8(uint16_t port, uint8_t v) { outb(port, v); }
void arch_port_write16(uint16_t port, uint16_t v) { outw(port, v); }
void arch_port_write32(uint16_t port, uint32_t v) { outl(port, v); }
