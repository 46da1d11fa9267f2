/*
 * power.h - ending the run.  kpoweroff() and kpanic() (kernel/boot.h) and
 * the CPU exception handler all end here: tell QEMU how the run went, then
 * ACPI S5, then halt.  An orderly kpoweroff() first runs the hooks added
 * with power_add_hook().
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

/*
 * Work to do before an orderly power-off (kpoweroff: the `poweroff`
 * command, the end of a script, exit()), such as flushing disk write
 * caches.  Hooks run once, in the order they were added, with interrupts
 * and the drivers still working; a panic or a CPU exception runs none.
 * Returns 0, or -1 when the list (POWER_MAX_HOOKS) is full.
 */
#define POWER_MAX_HOOKS 8
int power_add_hook(void (*fn)(void *arg), void *arg);

/* Per architecture: hand the outcome to the machine (x86: QEMU's
 * isa-debug-exit device); returns when the machine has no such device. */
void arch_report_outcome(enum run_outcome how);
/* Interrupts off, stop the CPU for good. */
void arch_halt(void) __attribute__((noreturn));

#endif
