/*
 * idt.c - the interrupt descriptor table and the C side of interrupt
 * dispatch (Intel SDM vol. 3 chapter 6).  Exceptions (0-31) are fatal: a
 * register dump on the serial port, then the run ends as a panic (QEMU
 * exits with status 37).  Vectors 32-255 run the handlers registered for
 * them (kernel/irq.h), then end the interrupt at the local APIC.
 */
#include <stdint.h>
#include <string.h>

#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "kernel/irq.h"
#include "kernel/power.h"
#include "kernel/serial.h"

#define HANDLERS_PER_VECTOR 8
#define SPURIOUS_VECTOR 0xFF

struct idt_gate {
	uint16_t off_lo, selector;
	uint8_t ist, type_attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

/* What isr.S pushes, lowest address first. */
struct isr_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct handler { void (*fn)(void *); void *arg; };

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct handler handlers[256][HANDLERS_PER_VECTOR];
static uint8_t vector_taken[256];

extern char isr_stubs[];

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error", "virtualization", "control protection",
};

void arch_traps_init(void)
{
	/* Use whatever code selector we run on: ours (0x08) after the PVH
	 * entry, the firmware's under UEFI, whose GDT we keep. */
	uint16_t cs = read_cs();
	for (unsigned v = 0; v < 256; v++) {
		uint64_t a = (uintptr_t)(isr_stubs + 16 * v);
		idt[v] = (struct idt_gate){
			.off_lo = (uint16_t)a,
			.selector = cs,
			.ist = 0,
			.type_attr = 0x8E, /* present, DPL 0, 64-bit interrupt gate */
			.off_mid = (uint16_t)(a >> 16),
			.off_hi = (uint32_t)(a >> 32),
		};
	}
	for (unsigned v = 0; v < 48; v++)
		vector_taken[v] = 1;      /* exceptions; 32-47 kept free of PIC aliases */
	vector_taken[SPURIOUS_VECTOR] = 1;
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
		sizeof idt - 1, (uintptr_t)idt
	};
	__asm__ volatile("lidt %0" :: "m"(idtr));
}

int irq_alloc_vector(void)
{
	for (unsigned v = 48; v < 0xF0; v++) {
		if (!vector_taken[v]) {
			vector_taken[v] = 1;
			return (int)v;
		}
	}
	return -1;
}

int irq_set_handler(unsigned vector, void (*h)(void *), void *arg)
{
	if (vector < 32 || vector > 255 || !h)
		return -1;
	uint64_t fl = irq_save();
	for (unsigned i = 0; i < HANDLERS_PER_VECTOR; i++) {
		if (!handlers[vector][i].fn) {
			handlers[vector][i].arg = arg;
			handlers[vector][i].fn = h;
			vector_taken[vector] = 1;
			irq_restore(fl);
			return 0;
		}
	}
	irq_restore(fl);
	return -1;
}

void irq_remove_handler(unsigned vector, void (*h)(void *), void *arg)
{
	if (vector > 255)
		return;
	uint64_t fl = irq_save();
	for (unsigned i = 0; i < HANDLERS_PER_VECTOR; i++)
		if (handlers[vector][i].fn == h && handlers[vector][i].arg == arg)
			handlers[vector][i].fn = NULL;
	irq_restore(fl);
}

bool irq_vector_has_handlers(unsigned vector)
{
	for (unsigned i = 0; i < HANDLERS_PER_VECTOR; i++)
		if (handlers[vector][i].fn)
			return true;
	return false;
}

static void dump_and_die(const struct isr_frame *f)
{
	uint64_t cr2 = read_cr2(), cr3 = read_cr3();
	const char *name = exception_names[f->vector] ? exception_names[f->vector] : "exception";
	kprintf("\n*** CPU exception %lu (%s) error code 0x%lx\n", f->vector, name, f->error);
	kprintf("RIP %016lx CS %04lx RFLAGS %016lx\n", f->rip, f->cs, f->rflags);
	kprintf("RSP %016lx SS %04lx CR2 %016lx CR3 %016lx\n", f->rsp, f->ss, cr2, cr3);
	kprintf("RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("R9  %016lx R10 %016lx R11 %016lx R12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("R13 %016lx R14 %016lx R15 %016lx\n", f->r13, f->r14, f->r15);
	/* A few return addresses, following the frame-pointer chain. */
	uint64_t bp = f->rbp;
	kprintf("backtrace:");
	for (int i = 0; i < 8 && bp >= 0x1000 && bp < (64ull << 30) && !(bp & 7); i++) {
		uint64_t ret = ((uint64_t *)bp)[1];
		uint64_t next = ((uint64_t *)bp)[0];
		kprintf(" %lx", ret);
		if (next <= bp)
			break;      /* frames move up the stack, or it is not a chain */
		bp = next;
	}
	kprintf("\n");
	power_off(RUN_PANICKED);
}

void isr_dispatch(struct isr_frame *f);
void isr_dispatch(struct isr_frame *f)
{
	unsigned v = (unsigned)(f->vector & 0xFF);
	if (v < 32)
		dump_and_die(f);
	if (v == SPURIOUS_VECTOR)
		return;        /* the APIC wants no EOI for its spurious vector */
	for (unsigned i = 0; i < HANDLERS_PER_VECTOR; i++) {
		struct handler h = handlers[v][i];
		if (h.fn)
			h.fn(h.arg);
	}
	lapic_eoi();
}
