/*
 * power.h - ending the run.  kpoweroff() and kpanic() (kernel/boot.h) and
 * the CPU exception handler all end here: tell QEMU how the run went, then
 * ACPI S5, then halt.
 */
#ifndef VSCSI_BOOT_KERNEL_POWER_H
#define VSCSI_BOOT_KERNEL_POWER_H

enum run_outcome {
	RUN_SUCCEEDED,   /* QEMU exits 33 */
	RUN_FAILED,      /* 35 */
	RUN_PANICKED,    /* 37: kernel panic or CPU exception */
};

/* Report, power off, halt.  Touches no stdio and no heap, so it may run in
 * exception context (kpoweroff flushes stdio first). */
void power_off(enum run_outcome how) __attribute__((noreturn));

/* Per architecture: hand the outcome to the machine (x86: QEMU's
 * isa-debug-exit device); returns when the machine has no such device. */
void arch_report_outcome(enum run_outcome how);
/* Interrupts off, stop the CPU for good. */
void arch_halt(void) __attribute__((noreturn));

#endif
