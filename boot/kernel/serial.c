/*
 * serial.c - the serial console above the architecture's UART: "\n" as
 * "\r\n", strings, and kprintf, a tiny formatter that writes straight to
 * the port, usable from exception and interrupt context and before newlib
 * has a heap.
 */
#include <stdarg.h>
#include <stdint.h>

#include "kernel/serial.h"

void serial_init(void)
{
	arch_serial_init();
}

void serial_putc(char c)
{
	if (c == '\n')
		arch_serial_send('\r');
	arch_serial_send((unsigned char)c);
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
	return arch_serial_receive();
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
