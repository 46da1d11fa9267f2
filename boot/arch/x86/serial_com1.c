/*
 * serial_com1.c - the console UART on x86: COM1 (0x3F8), a 16550 at 115200
 * 8N1, polled.  OVMF leaves COM1 configured; programming it again is
 * harmless.
 */
#include <stdint.h>

#include "arch/x86/io.h"
#include "kernel/serial.h"

#define COM1 0x3F8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

void arch_serial_init(void)
{
	outb(COM1 + REG_IER, 0x00);        /* polled: no UART interrupts */
	outb(COM1 + REG_LCR, 0x80);        /* DLAB: divisor follows */
	outb(COM1 + REG_DATA, 1);          /* 115200 = 115200 / 1 */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03);        /* 8N1 */
	outb(COM1 + REG_FCR, 0xC7);        /* FIFOs on, cleared */
	outb(COM1 + REG_MCR, 0x03);        /* DTR, RTS; OUT2 off: no IRQ */
}

void arch_serial_send(unsigned char byte)
{
	/* Bounded wait: a missing UART reads 0xFF and must not hang us. */
	for (unsigned i = 0; i < 100000; i++)
		if (inb(COM1 + REG_LSR) & LSR_THR_EMPTY)
			break;
	outb(COM1 + REG_DATA, byte);
}

int arch_serial_receive(void)
{
	uint8_t lsr = inb(COM1 + REG_LSR);
	if (lsr == 0xFF || !(lsr & LSR_DATA_READY))
		return -1;
	return inb(COM1 + REG_DATA);
}
