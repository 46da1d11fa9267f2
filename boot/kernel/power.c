/*
 * power.c - ending the run: kpoweroff (the shell's status), kpanic, and
 * power_off, which the CPU exception handler uses too.  The machine learns
 * the outcome first (arch_report_outcome: on QEMU the exit status); when
 * that device is absent, ACPI S5 powers off; failing both, the CPU halts.
 * kpoweroff runs the before-power-off hooks first (disk caches are
 * flushed there); kpanic and the exception path do not, as the machine
 * may be in any state.
 */
#include <stdarg.h>
#include <stdbool.h>
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

static struct {
	void (*fn)(void *arg);
	void *arg;
} hooks[POWER_MAX_HOOKS];
static unsigned n_hooks;
static bool hooks_ran;

int power_add_hook(void (*fn)(void *arg), void *arg)
{
	if (!fn || n_hooks == POWER_MAX_HOOKS)
		return -1;
	hooks[n_hooks].fn = fn;
	hooks[n_hooks].arg = arg;
	n_hooks++;
	return 0;
}

void kpoweroff(int status)
{
	/* Once: a hook that ends in exit() comes back here. */
	if (!hooks_ran) {
		hooks_ran = true;
		for (unsigned i = 0; i < n_hooks; i++)
			hooks[i].fn(hooks[i].arg);
	}
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
