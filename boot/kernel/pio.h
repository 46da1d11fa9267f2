/*
 * pio.h - the I/O address space (x86's in/out instructions), for what
 * names I/O-space registers: ACPI's SystemIO address space and the driver
 * glue's pio_* members (legacy virtio-pci).  Implemented per architecture;
 * one without an I/O space reads all-ones and drops writes.
 */
#ifndef VSCSI_BOOT_KERNEL_PIO_H
#define VSCSI_BOOT_KERNEL_PIO_H

#include <stdint.h>

uint8_t arch_port_read8(uint16_t port);
uint16_t arch_port_read16(uint16_t port);
uint32_t arch_port_read32(uint16_t port);
void arch_port_write8(uint16_t port, uint8_t v);
void arch_port_write16(uint16_t port, uint16_t v);
void arch_port_write32(uint16_t port, uint32_t v);

#endif
