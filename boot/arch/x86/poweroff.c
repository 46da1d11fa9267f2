/*
 * poweroff.c - how a run ends on x86 under QEMU: isa-debug-exit (port 0xF4)
 * turns the value written into QEMU's exit status (v << 1) | 1; when that
 * device is absent the write is ignored and kernel/power.c goes on to ACPI
 * S5.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/io.h"
#include "kernel/power.h"

#define DEBUG_EXIT_PORT 0xF4

void arch_report_outcome(enum run_outcome how)
{
	uint8_t v = how == RUN_SUCCEEDED ? 0x10 : how == RUN_FAILED ? 0x11 : 0x12; /* 33 35 37 */
	outb(DEBUG_EXIT_PORT, v);
}

void arch_halt(void)
{
	cpu_halt_forever();
}
