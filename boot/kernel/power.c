/*
 * power.c - ending the run: kpoweroff (the shell's status), kpanic, and
 * power_off, which the CPU exception handler uses too.  The machine learns
 * the outcome first (arch_report_outcome: on QEMU the exit status); when
 * that device is absent, ACPI S5 powers off; failing both, the CPU halts.
 */
#include <stdarg.h>
#include <stdio.h>

#include "kernel/acpi.h"
#include "kernel/boot.h"
#include "kernel/irq.h"
#include "kernel/power.h"
#include "kernel/serial.h"

void power_off(enum run_outcome how)
{
	arch_report_outcome(how);
	acpi_poweroff();
	arch_halt();
}

void kpoweroff(int status)
{
	fflush(stdout);
	fflush(stderr);
	power_off(status == 0 ? RUN_SUCCEEDED : RUN_FAILED);
}

void kpanic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	irq_disable();
	va_start(ap, fmt);
	/* vsnprintf needs no heap; the line goes straight to the port. */
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	kprintf("\nPANIC: %s\n", buf);
	power_off(RUN_PANICKED);
}
