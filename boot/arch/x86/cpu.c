/*
 * cpu.c - the CPU side of kernel/irq.h and kernel/cpu.h on x86: the
 * interrupt flag (RFLAGS.IF) and the spin-loop hint.
 */
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "kernel/cpu.h"
#include "kernel/irq.h"

void irq_enable(void)
{
	cpu_sti();
}

void irq_disable(void)
{
	cpu_cli();
}

uint64_t irq_save(void)
{
	return cpu_flags_save_cli();
}

void irq_restore(uint64_t saved)
{
	if (saved & RFLAGS_IF)
		cpu_sti();
}

void cpu_relax(void)
{
	cpu_pause();
}
