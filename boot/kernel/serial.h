/*
 * serial.h - the serial console: the kernel's own output (kprintf), newlib's
 * descriptors 0-2 and the shell all go through it.  kernel/serial.c turns
 * "\n" into "\r\n" and formats; the UART itself is the architecture's
 * (x86: COM1 at 115200 8N1, polled).
 */
#ifndef VSCSI_BOOT_KERNEL_SERIAL_H
#define VSCSI_BOOT_KERNEL_SERIAL_H

#include <stddef.h>

void serial_init(void);
void serial_putc(char c);                 /* "\n" is sent as "\r\n" */
void serial_write(const char *s, size_t n);
void serial_puts(const char *s);
int serial_getc(void);                    /* -1 when nothing is waiting */
/* Minimal printf straight to the port: safe in interrupt and exception
 * context and before the heap exists (%s %c %d %u %x %lx %llx %p %%). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Per architecture: the UART, polled.  A missing UART must not hang
 * arch_serial_send (bounded wait) and reads as "nothing waiting". */
void arch_serial_init(void);
void arch_serial_send(unsigned char byte);
int arch_serial_receive(void);            /* -1 when nothing is waiting */

#endif
