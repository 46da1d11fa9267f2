/*
 * apic.h - what idt.c needs from apic.c: ending an interrupt at the local
 * APIC, and the boot CPU's APIC ID.
 */
#ifndef VSCSI_BOOT_ARCH_X86_APIC_H
#define VSCSI_BOOT_ARCH_X86_APIC_H

#include <stdbool.h>
#include <stdint.h>

void lapic_eoi(void);
uint32_t lapic_id(void);
/* Map an ISA IRQ to its GSI and flags through the MADT overrides. */
uint32_t irq_isa_to_gsi(uint8_t irq, bool *level, bool *active_low);

#endif
