/*
 * irq.h - interrupts on the one CPU: handlers per interrupt number, MSI
 * messages, GSI and PCI INTx routing, masking.  Implemented per
 * architecture (boot/arch/x86/: IDT, LAPIC, IOAPIC).
 *
 * Handlers run with interrupts off; several may share a number (each one is
 * called, and must ignore interrupts that are not its device's).
 */
#ifndef VSCSI_BOOT_KERNEL_IRQ_H
#define VSCSI_BOOT_KERNEL_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct pci_func;

/* Bring-up, in kernel_main's order: exception and interrupt entry first
 * (a fault after it prints a register dump), the interrupt controllers
 * after acpi_init (they come from ACPI's MADT). */
void arch_traps_init(void);
void arch_irq_init(void);

/* Register a handler for an interrupt number from irq_alloc_vector (or a
 * fixed one); 0, or -1 when the number's handler slots are full. */
int irq_set_handler(unsigned vector, void (*h)(void *), void *arg);
void irq_remove_handler(unsigned vector, void (*h)(void *), void *arg);
int irq_alloc_vector(void);            /* a free interrupt number, or -1 */
bool irq_vector_has_handlers(unsigned vector);

/* MSI for this CPU: allocates a number, installs h, returns the number
 * (>= 0) and the message the device is to write, or -1. */
int irq_msi_alloc(void (*h)(void *), void *arg, uint64_t *addr, uint32_t *data);
/* Route a GSI (ACPI's global system interrupt) to a number shared per GSI
 * and unmask it.  Returns the number, or -1. */
int irq_attach_gsi(uint32_t gsi, bool level, bool active_low, void (*h)(void *), void *arg);
/* A PCI function's line interrupt.  pci_init sets Interrupt Disable in
 * every function's command register; this clears it for f, so only
 * attached functions can assert INTx.  Returns the number, or -1. */
int irq_attach_pci_intx(const struct pci_func *f, void (*h)(void *), void *arg);
void irq_detach(void (*h)(void *), void *arg);  /* removes h/arg everywhere */

/* One-shot timer: h(arg) runs once after `us` microseconds. */
int timer_oneshot_us(uint32_t us, void (*h)(void *), void *arg);

/* Masking on this CPU.  irq_save returns the previous state for
 * irq_restore, so sections nest. */
void irq_enable(void);
void irq_disable(void);
uint64_t irq_save(void);
void irq_restore(uint64_t saved);

#endif
