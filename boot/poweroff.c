/*
 * poweroff.c - ending the run.  isa-debug-exit (port 0xF4) turns the value
 * written into QEMU's exit status (v << 1) | 1; when that device is absent
 * the write is ignored and ACPI S5 powers off instead.
 */
#include <stdarg.h>
#include <stdio.h>

#include "io.h"
#include "kernel.h"

#define DEBUG_EXIT_PORT 0xF4

static void __attribute__((noreturn)) halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void kpoweroff(int status)
{
	fflush(stdout);
	fflush(stderr);
	outb(DEBUG_EXIT_PORT, status == 0 ? 0x10 : 0x11);  /* 33 / 35 */
	acpi_poweroff();
	halt_forever();
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
	outb(DEBUG_EXIT_PORT, 0x12);  /* 37 */
	acpi_poweroff();
	halt_forever();
}
