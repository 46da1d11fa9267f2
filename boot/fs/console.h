/*
 * console.h - the shell's view of the serial console: a blocking read
 * that keeps the drivers serviced while it waits.
 */
#ifndef VSCSI_BOOT_CONSOLE_H
#define VSCSI_BOOT_CONSOLE_H

/* Wait for one input byte; while idle, poll every controller so events
 * (hot-plug, capacity changes) are acted on. */
int console_getc(void);
void console_putc(char c);
void console_puts(const char *s);
/* Register the function console_getc runs while idle. */
void console_set_idle(void (*fn)(void));

#endif
