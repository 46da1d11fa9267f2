/*
 * serial.c - COM1 (0x3F8) at 115200 8N1, polled, plus kprintf: a tiny
 * formatter that writes straight to the port, usable from exception and
 * interrupt context and before newlib has a heap.
 *
 * OVMF leaves COM1 configured; programming it again is harmless.
 */
#include <stdarg.h>
#include <stdint.h>

#include "io.h"
#include "kernel.h"

#define COM1 0x3F8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00);        /* polled: no UART interrupts */
	outb(COM1 + REG_LCR, 0x80);        /* DLAB: divisor follows */
	outb(COM1 + REG_DATA, 1);          /* 115200 = 115200 / 1 */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03);        /* 8N1 */
	outb(COM1 + REG_FCR, 0xC7);        /* FIFOs on, cleared */
	outb(COM1 + REG_MCR, 0x03);        /* DTR, RTS; OUT2 off: no IRQ */
}

static void serial_raw(char c)
{
	/* Bounded wait: a missing UART reads 0xFF and must not hang us. */
	for (unsigned i = 0; i < 100000; i++)
		if (inb(COM1 + REG_LSR) & LSR_THR_EMPTY)
			break;
	outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_putc(char c)
{
	if (c == '\n')
		serial_raw('\r');
	serial_raw(c);
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

int serial_getc(void)
{
	uint8_t lsr = inb(COM1 + REG_LSR);
	if (lsr == 0xFF || !(lsr & LSR_DATA_READY))
		return -1;
	return inb(COM1 + REG_DATA);
}

static void put_num(unsigned long long v, unsigned base, int width, char pad)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		serial_putc(pad);
	while (n)
		serial_putc(buf[--n]);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			serial_putc(*p);
			continue;
		}
		p++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*p == '0') {
			pad = '0';
			p++;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (*p++ - '0');
		while (*p == 'l') {
			lng++;
			p++;
		}
		switch (*p) {
		case 'd': {
			long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
			if (v < 0) {
				serial_putc('-');
				v = -v;
			}
			put_num((unsigned long long)v, 10, width, pad);
			break;
		}
		case 'u':
			put_num(lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 10, width, pad);
			break;
		case 'x':
			put_num(lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 16, width, pad);
			break;
		case 'p':
			serial_puts("0x");
			put_num((uintptr_t)va_arg(ap, void *), 16, width, pad);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			serial_puts(s ? s : "(null)");
			break;
		}
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case '%':
			serial_putc('%');
			break;
		default:
			serial_putc('%');
			if (!*p)
				p--;
			else
				serial_putc(*p);
		}
	}
	va_end(ap);
}
