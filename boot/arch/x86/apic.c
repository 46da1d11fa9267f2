/*
 * apic.c - the x86 interrupt controllers behind kernel/irq.h: the 8259
 * PICs are remapped to vectors 32-47 and masked; the local APIC of the boot
 * CPU takes MSIs and its own timer; the IOAPIC(s) route GSIs (Intel SDM
 * vol. 3 chapter 11, the 82093AA IOAPIC datasheet).  Everything targets the
 * boot CPU.
 */
#include <stdint.h>

#include "arch/x86/apic.h"
#include "arch/x86/io.h"
#include "kernel/acpi.h"
#include "kernel/clock.h"
#include "kernel/irq.h"
#include "kernel/mmio.h"
#include "kernel/pci.h"
#include "kernel/serial.h"

#define LAPIC_DEFAULT 0xFEE00000u
#define IOAPIC_DEFAULT 0xFEC00000u
#define MSR_APIC_BASE 0x1B

#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define LVT_MASKED (1u << 16)

#define IOAPIC_REDIR_MASKED (1u << 16)
#define IOAPIC_REDIR_LEVEL (1u << 15)
#define IOAPIC_REDIR_LOW (1u << 13)

#define MAX_GSI 256
#define MAX_INTX 32

static uintptr_t lapic_base;
static uint32_t bsp_apic_id;
static struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned n_ioapics;
static int16_t gsi_vector[MAX_GSI];     /* 0 = not routed */

static uint32_t lapic_read(uint32_t reg) { return mmio_read32(lapic_base + reg); }
static void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(lapic_base + reg, v); }

static uint32_t ioapic_read(const struct acpi_ioapic *io, uint32_t reg)
{
	mmio_write32(io->addr, reg);
	return mmio_read32(io->addr + 0x10);
}

static void ioapic_write(const struct acpi_ioapic *io, uint32_t reg, uint32_t v)
{
	mmio_write32(io->addr, reg);
	mmio_write32(io->addr + 0x10, v);
}

static unsigned ioapic_pins(const struct acpi_ioapic *io)
{
	return ((ioapic_read(io, 1) >> 16) & 0xFF) + 1;
}

static const struct acpi_ioapic *ioapic_for(uint32_t gsi)
{
	for (unsigned i = 0; i < n_ioapics; i++)
		if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapic_pins(&ioapics[i]))
			return &ioapics[i];
	return NULL;
}

static void pic_mask_all(void)
{
	/* Remap first (ICW1-4) so a spurious IRQ7/15 lands on 39/47, never
	 * on an exception vector; then mask every line. */
	outb(0x20, 0x11);
	outb(0xA0, 0x11);
	outb(0x21, 32);
	outb(0xA1, 40);
	outb(0x21, 4);
	outb(0xA1, 2);
	outb(0x21, 1);
	outb(0xA1, 1);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	return bsp_apic_id;
}

void arch_irq_init(void)
{
	const struct acpi_info *a = acpi();
	pic_mask_all();

	uint64_t base = rdmsr(MSR_APIC_BASE);
	lapic_base = a->lapic_addr ? a->lapic_addr : (uintptr_t)(base & ~0xFFFull);
	if (!lapic_base)
		lapic_base = LAPIC_DEFAULT;
	wrmsr(MSR_APIC_BASE, base | (1u << 11));  /* global enable */
	lapic_write(LAPIC_SVR, 0x100 | 0xFF);    /* software enable, spurious 0xFF */
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	bsp_apic_id = lapic_read(LAPIC_ID) >> 24;

	n_ioapics = a->n_ioapics;
	for (unsigned i = 0; i < n_ioapics; i++)
		ioapics[i] = a->ioapic[i];
	if (!n_ioapics) {
		ioapics[0] = (struct acpi_ioapic){ .id = 0, .addr = IOAPIC_DEFAULT, .gsi_base = 0 };
		n_ioapics = 1;
	}
	/* Mask every pin: the firmware may have left routes behind. */
	for (unsigned i = 0; i < n_ioapics; i++) {
		unsigned pins = ioapic_pins(&ioapics[i]);
		for (unsigned p = 0; p < pins && p < 240; p++) {
			ioapic_write(&ioapics[i], 0x10 + 2 * p, IOAPIC_REDIR_MASKED);
			ioapic_write(&ioapics[i], 0x11 + 2 * p, 0);
		}
	}
}

uint32_t irq_isa_to_gsi(uint8_t irq, bool *level, bool *active_low)
{
	const struct acpi_info *a = acpi();
	/* ISA default: edge, active high, GSI == IRQ (ACPI 6.5 §5.2.12.5). */
	*level = false;
	*active_low = false;
	for (unsigned i = 0; i < a->n_isos; i++) {
		if (a->iso[i].source != irq)
			continue;
		unsigned pol = a->iso[i].flags & 3, trig = (a->iso[i].flags >> 2) & 3;
		*active_low = pol == 3;
		*level = trig == 3;
		return a->iso[i].gsi;
	}
	return irq;
}

int irq_attach_gsi(uint32_t gsi, bool level, bool active_low, void (*h)(void *), void *arg)
{
	const struct acpi_ioapic *io = ioapic_for(gsi);
	if (!io || gsi >= MAX_GSI) {
		kprintf("irq: no IOAPIC serves GSI %u\n", gsi);
		return -1;
	}
	uint64_t fl = irq_save();
	int vec = gsi_vector[gsi];
	if (!vec) {
		vec = irq_alloc_vector();
		if (vec < 0) {
			irq_restore(fl);
			return -1;
		}
		gsi_vector[gsi] = (int16_t)vec;
	}
	if (irq_set_handler((unsigned)vec, h, arg) < 0) {
		irq_restore(fl);
		return -1;
	}
	uint32_t pin = gsi - io->gsi_base;
	uint32_t lo = (uint32_t)vec | (level ? IOAPIC_REDIR_LEVEL : 0) | (active_low ? IOAPIC_REDIR_LOW : 0);
	ioapic_write(io, 0x11 + 2 * pin, bsp_apic_id << 24);
	ioapic_write(io, 0x10 + 2 * pin, lo);
	irq_restore(fl);
	return vec;
}

/* Mask GSIs whose vector has no handler left. */
static void gsi_tidy(void)
{
	for (uint32_t gsi = 0; gsi < MAX_GSI; gsi++) {
		if (!gsi_vector[gsi] || irq_vector_has_handlers((unsigned)gsi_vector[gsi]))
			continue;
		const struct acpi_ioapic *io = ioapic_for(gsi);
		if (io)
			ioapic_write(io, 0x10 + 2 * (gsi - io->gsi_base), IOAPIC_REDIR_MASKED);
		gsi_vector[gsi] = 0;
	}
}

int irq_msi_alloc(void (*h)(void *), void *arg, uint64_t *addr, uint32_t *data)
{
	int vec = irq_alloc_vector();
	if (vec < 0 || irq_set_handler((unsigned)vec, h, arg) < 0)
		return -1;
	/* Intel SDM vol. 3 §11.11: address 0xFEE, destination APIC ID in
	 * bits 19:12, physical mode; data = fixed delivery, edge, vector. */
	*addr = 0xFEE00000ull | (uint64_t)(bsp_apic_id & 0xFF) << 12;
	*data = (uint32_t)vec;
	return vec;
}

/* ---- PCI INTx ------------------------------------------------------------ */
struct intx { void (*h)(void *); void *arg; };
static struct intx q35_intx[MAX_INTX];
static bool q35_hooked;

static void q35_intx_dispatch(void *unused)
{
	(void)unused;
	for (unsigned i = 0; i < MAX_INTX; i++)
		if (q35_intx[i].h)
			q35_intx[i].h(q35_intx[i].arg);
}

static bool is_q35(void)
{
	const struct pci_func *hb = pci_lookup(0, 0, 0, 0);
	return hb && hb->vendor == 0x8086 && hb->device == 0x29C0;
}

int irq_attach_pci_intx(const struct pci_func *f, void (*h)(void *), void *arg)
{
	if (!f || !f->irq_pin)
		return -1;
	int r;
	if (is_q35()) {
		/* ICH9 routes PIRQA-H to IOAPIC pins 16-23; which one a slot
		 * lands on depends on chipset routing registers, so every INTx
		 * handler runs on all of them (virtio reads its ISR and
		 * ignores interrupts that are not its own). */
		uint64_t fl = irq_save();
		r = -1;
		for (unsigned i = 0; i < MAX_INTX; i++) {
			if (!q35_intx[i].h) {
				q35_intx[i] = (struct intx){ h, arg };
				r = 0;
				break;
			}
		}
		irq_restore(fl);
		if (r < 0)
			return -1;
		if (!q35_hooked) {
			q35_hooked = true;
			for (uint32_t gsi = 16; gsi < 24; gsi++)
				if (irq_attach_gsi(gsi, true, false, q35_intx_dispatch, NULL) < 0)
					return -1;
		}
		r = gsi_vector[16];
	} else {
		/* i440fx: the firmware wrote the ISA IRQ its PIRQ router uses
		 * into the interrupt-line register; PCI lines are level. */
		if (f->irq_line == 0 || f->irq_line >= 16)
			return -1;
		bool level, low;
		uint32_t gsi = irq_isa_to_gsi(f->irq_line, &level, &low);
		r = irq_attach_gsi(gsi, true, low, h, arg);
	}
	/* Only now let the function assert INTx (pci_init disabled it). */
	if (r >= 0) {
		uint16_t cmd = (uint16_t)pci_cfg_read(f->segment, f->bus, f->dev, f->fn, 0x04, 2);
		pci_cfg_write(f->segment, f->bus, f->dev, f->fn, 0x04, 2, cmd & ~(1u << 10));
	}
	return r;
}

void irq_detach(void (*h)(void *), void *arg)
{
	uint64_t fl = irq_save();
	for (unsigned i = 0; i < MAX_INTX; i++)
		if (q35_intx[i].h == h && q35_intx[i].arg == arg)
			q35_intx[i].h = NULL;
	for (unsigned v = 32; v < 256; v++)
		irq_remove_handler(v, h, arg);
	gsi_tidy();
	irq_restore(fl);
}

/* ---- LAPIC timer ----------------------------------------------------------- */
static uint64_t lapic_ticks_per_ms;
static int timer_vector = -1;
static void (*timer_fn)(void *);
static void *timer_arg;

static void timer_fire(void *unused)
{
	(void)unused;
	void (*fn)(void *) = timer_fn;
	timer_fn = NULL;
	if (fn)
		fn(timer_arg);
}

int timer_oneshot_us(uint32_t us, void (*h)(void *), void *arg)
{
	if (!lapic_ticks_per_ms) {
		/* Calibrate against the TSC clock: divide by 16, count 1 ms. */
		lapic_write(LAPIC_TIMER_DIV, 0x3);
		lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
		lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFF);
		delay_us(1000);
		lapic_ticks_per_ms = 0xFFFFFFFFull - lapic_read(LAPIC_TIMER_CUR);
		lapic_write(LAPIC_TIMER_INIT, 0);
		if (!lapic_ticks_per_ms)
			return -1;
	}
	if (timer_vector < 0) {
		timer_vector = irq_alloc_vector();
		if (timer_vector < 0 || irq_set_handler((unsigned)timer_vector, timer_fire, NULL) < 0)
			return -1;
	}
	uint64_t ticks = lapic_ticks_per_ms * us / 1000;
	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xFFFFFFFF)
		ticks = 0xFFFFFFFF;
	timer_fn = h;
	timer_arg = arg;
	lapic_write(LAPIC_LVT_TIMER, (uint32_t)timer_vector);  /* one-shot */
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
	return 0;
}
