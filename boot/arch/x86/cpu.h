/*
 * cpu.h - x86 instructions the kernel needs by name: the interrupt flag
 * (cli/sti, RFLAGS.IF through pushfq), pause, hlt, the time-stamp counter
 * and a few control registers.
 */
#ifndef VSCSI_BOOT_ARCH_X86_CPU_H
#define VSCSI_BOOT_ARCH_X86_CPU_H

#include <stdint.h>

#define RFLAGS_IF 0x200ull

static inline void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_sti(void) { __asm__ volatile("sti" ::: "memory"); }

/* RFLAGS as it was, then interrupts off. */
static inline uint64_t cpu_flags_save_cli(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) :: "memory");
	return f;
}

static inline void cpu_pause(void) { __asm__ volatile("pause"); }

static inline void __attribute__((noreturn)) cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_cs(void)
{
	uint16_t v;
	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

#endif
