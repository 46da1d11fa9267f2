/*
 * console.c - blocking console input for the shell on top of the serial
 * driver, running an idle function (driver polling) while it waits.
 */
#include <stdio.h>

#include "fs/console.h"
#include "kernel/cpu.h"
#include "kernel/serial.h"

static void (*idle_fn)(void);

void console_set_idle(void (*fn)(void))
{
	idle_fn = fn;
}

int console_getc(void)
{
	fflush(stdout);
	for (;;) {
		int c = serial_getc();
		if (c >= 0)
			return c;
		if (idle_fn)
			idle_fn();
		cpu_relax();
	}
}

void console_putc(char c)
{
	serial_putc(c);
}

void console_puts(const char *s)
{
	serial_puts(s);
}
