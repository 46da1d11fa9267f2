/*
 * clock_tsc.c - kernel/clock.h on x86: time from the TSC, calibrated at
 * boot against the 8254 PIT: channel 2 counts down in mode 0 with its gate
 * opened through port 0x61, whose bit 5 shows the channel's output going
 * high at terminal count.  Machines without the port-0x61 logic (microvm)
 * fall back to latching channel 0's counter.  Under TCG both the TSC and
 * the PIT follow the host clock, so the result is good to a fraction of a
 * percent.
 */
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/io.h"
#include "kernel/clock.h"
#include "kernel/irq.h"
#include "kernel/serial.h"

#define PIT_HZ 1193182u
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define CAL_MS 10u

static uint64_t tsc_hz, tsc_start;
static uint64_t ns_per_tick_q32;   /* ns per TSC tick, 32.32 fixed point */

static uint64_t calibrate_ch2(void)
{
	uint32_t count = PIT_HZ * CAL_MS / 1000;
	uint8_t b = inb(PORT_B);
	outb(PORT_B, (uint8_t)((b & ~0x02) | 0x01));   /* speaker off, gate on */
	outb(PIT_CMD, 0xB0);                           /* ch2, lo/hi, mode 0 */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	if (inb(PORT_B) & 0x20)
		return 0;           /* output already high: no working port 0x61 */
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; !(inb(PORT_B) & 0x20); i++)
		if (i > 100000000)
			return 0;
	uint64_t t1 = rdtsc();
	outb(PORT_B, b);
	return (t1 - t0) * 1000 / CAL_MS;
}

static uint16_t ch0_read(void)
{
	outb(PIT_CMD, 0x00);    /* latch channel 0 */
	uint8_t lo = inb(PIT_CH0);
	return (uint16_t)(lo | inb(PIT_CH0) << 8);
}

static uint64_t calibrate_ch0(void)
{
	outb(PIT_CMD, 0x34);    /* ch0, lo/hi, mode 2 (rate generator), full range */
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);
	uint16_t last = ch0_read();
	if (last == 0xFFFF && ch0_read() == 0xFFFF)
		return 0;       /* no PIT */
	uint32_t want = PIT_HZ * CAL_MS / 1000, elapsed = 0;
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; elapsed < want; i++) {
		uint16_t now = ch0_read();
		elapsed += (uint16_t)(last - now);   /* counts down, wraps at 65536 */
		last = now;
		if (i > 100000000)
			return 0;
	}
	uint64_t t1 = rdtsc();
	return (t1 - t0) * PIT_HZ / elapsed;
}

void clock_init(void)
{
	uint64_t fl = irq_save();
	uint64_t hz = calibrate_ch2();
	if (!hz)
		hz = calibrate_ch0();
	irq_restore(fl);
	if (!hz) {
		kprintf("clock: no PIT; assuming a 1 GHz TSC\n");
		hz = 1000000000ull;
	}
	tsc_hz = hz;
	ns_per_tick_q32 = (1000000000ull << 32) / hz;   /* 4.3e18: fits */
	tsc_start = rdtsc();
}

uint64_t clock_counter_hz(void)
{
	return tsc_hz;
}

uint64_t clock_ns(void)
{
	if (!tsc_hz)
		return 0;
	uint64_t d = rdtsc() - tsc_start;
	return (uint64_t)(((unsigned __int128)d * ns_per_tick_q32) >> 32);
}

void delay_us(uint32_t us)
{
	if (!tsc_hz) {
		for (volatile uint64_t i = 0; i < (uint64_t)us * 100; i++)
			;
		return;
	}
	uint64_t end = rdtsc() + (uint64_t)us * (tsc_hz / 1000) / 1000;
	while ((int64_t)(rdtsc() - end) < 0)
		cpu_pause();
}
