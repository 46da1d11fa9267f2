/*
 * console.c - console input for the shell on top of the serial driver:
 * blocking reads that run an idle function (driver polling) while they
 * wait, keys typed ahead while a command runs, and Ctrl-C for a running
 * command.
 *
 * The serial port is polled (no receive interrupt), so a byte typed while
 * a command runs sits in the UART until someone reads it.  Commands ask
 * console_interrupted() between their I/Os; that call drains the UART into
 * a small type-ahead ring and notices 0x03.  Nothing here runs in
 * interrupt context.
 */
#include <stdio.h>

#include "fs/console.h"
#include "kernel/clock.h"
#include "kernel/cpu.h"
#include "kernel/serial.h"

#define CTRL_C 0x03
#define TYPEAHEAD 256            /* bytes; a power of two */
#define POLL_INTERVAL_NS 1000000 /* how often a busy command reads the port */

static void (*idle_fn)(void);

static unsigned char typeahead[TYPEAHEAD];
static unsigned ta_head, ta_tail;  /* free-running; head - tail bytes held */

static bool command_running, interrupt_seen;
static uint64_t last_poll_ns;

void console_set_idle(void (*fn)(void))
{
	idle_fn = fn;
}

/* The interrupt: echoed once, as a terminal echoes the key where the
 * command's output has got to. */
static void note_interrupt(void)
{
	if (!interrupt_seen) {
		fflush(stdout);
		serial_puts("^C\n");
	}
	interrupt_seen = true;
}

/* Move the bytes waiting in the UART into the type-ahead ring, as many as
 * it has room for (the rest wait in the UART: the host's side of the line
 * holds them back, nothing is lost); while a command runs, 0x03 interrupts
 * it instead. */
static void drain_port(void)
{
	int c;
	while (ta_head - ta_tail < TYPEAHEAD && (c = serial_getc()) >= 0) {
		if (c == CTRL_C && command_running) {
			note_interrupt();
			ta_tail = ta_head; /* keys typed before the interrupt go with it */
			continue;
		}
		typeahead[ta_head++ % TYPEAHEAD] = (unsigned char)c;
	}
}

int console_getc(void)
{
	fflush(stdout);
	for (;;) {
		drain_port();
		if (ta_head != ta_tail)
			return typeahead[ta_tail++ % TYPEAHEAD];
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

void console_command_begin(void)
{
	command_running = true;
	interrupt_seen = false;
	last_poll_ns = 0;
	/* A Ctrl-C typed right after Enter may already sit in the type-ahead:
	 * it is for this command (with what was typed before it). */
	for (unsigned i = ta_tail; i != ta_head; i++)
		if (typeahead[i % TYPEAHEAD] == CTRL_C) {
			note_interrupt();
			ta_tail = i + 1;
		}
}

void console_command_end(void)
{
	command_running = false;
	interrupt_seen = false;
}

bool console_interrupted(void)
{
	if (!command_running)
		return false;
	if (!interrupt_seen) {
		uint64_t now = clock_ns();
		if (now - last_poll_ns >= POLL_INTERVAL_NS || now < last_poll_ns) {
			last_poll_ns = now;
			drain_port();
		}
	}
	return interrupt_seen;
}
