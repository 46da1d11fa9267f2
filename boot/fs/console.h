/*
 * console.h - the shell's view of the serial console: a blocking read
 * that keeps the drivers serviced while it waits, and Ctrl-C.
 *
 * While a command runs, the console still reads the serial port whenever
 * the command asks console_interrupted() (between its I/Os): a Ctrl-C
 * (0x03) then marks the command interrupted and is echoed as "^C"; any
 * other byte is kept for the next console_getc(), so keys typed ahead are
 * not lost.  As a terminal does on an interrupt, the keys typed ahead of
 * the Ctrl-C are discarded with it.  The type-ahead holds 256 bytes; more
 * wait in the UART (the host holds them back), so a Ctrl-C typed behind
 * them is seen once the command ends.
 */
#ifndef VSCSI_BOOT_CONSOLE_H
#define VSCSI_BOOT_CONSOLE_H

#include <stdbool.h>

/* Exit status of a command stopped by Ctrl-C (128 + SIGINT, as bash). */
#define CONSOLE_INTERRUPTED_STATUS 130

/* Wait for one input byte (typed-ahead bytes first); while idle, run the
 * idle function (driver polling: hot-plug, capacity events). */
int console_getc(void);
void console_putc(char c);
void console_puts(const char *s);
/* Register the function console_getc runs while idle. */
void console_set_idle(void (*fn)(void));

/* A command starts / has ended: between the two, 0x03 means "stop". */
void console_command_begin(void);
void console_command_end(void);
/* Has Ctrl-C been typed since the command began?  Reads the serial port
 * (at most about once a millisecond, so calling it between every I/O is
 * cheap).  Commands call it between chunks of work and stop, after the
 * I/O already sent has completed, with CONSOLE_INTERRUPTED_STATUS. */
bool console_interrupted(void);

#endif
