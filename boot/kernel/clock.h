/*
 * clock.h - monotonic time since boot and short busy waits, implemented
 * per architecture (x86: the TSC, calibrated against the PIT).
 */
#ifndef VSCSI_BOOT_KERNEL_CLOCK_H
#define VSCSI_BOOT_KERNEL_CLOCK_H

#include <stdint.h>

void clock_init(void);
uint64_t clock_ns(void);               /* since clock_init; 0 before */
void delay_us(uint32_t us);
uint64_t clock_counter_hz(void);       /* the rate of the counter behind clock_ns */

#endif
