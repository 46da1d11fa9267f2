/*
 * pci.c - PCI configuration access, enumeration and BAR assignment.
 *
 * Configuration space is reached through ECAM when ACPI has an MCFG (q35)
 * or the machine has a window it does not list (microvm,pcie=on), and
 * through the architecture's own mechanism otherwise (kernel/pci_config.h;
 * x86: the CF8/CFC ports); microvm without pcie=on has neither, and then
 * the scan finds nothing.
 *
 * Enumeration follows bridges from bus 0; bridges the firmware left
 * unnumbered get bus numbers.  SeaBIOS and OVMF assign every BAR; on
 * microvm,pcie=on nobody does, so we place them in the machine's 32-bit
 * MMIO window (arch_pci_bar_window) and program the bridge windows on the
 * way.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/boot.h"
#include "kernel/pages.h"
#include "kernel/pci.h"
#include "kernel/pci_config.h"
#include "kernel/serial.h"

#define PCI_COMMAND 0x04
#define CMD_IO 0x1
#define CMD_MEM 0x2
#define CMD_MASTER 0x4

static bool have_arch_config;  /* the architecture's own mechanism answers */
static struct pci_func *funcs;
static unsigned n_funcs;
static uint8_t last_bus;
static bool bus_seen[256];
static uint16_t seg0;          /* the one segment we scan */
/* ECAM window: from ACPI's MCFG, or one the machine does not list. */
static uint64_t ecam_base;
static uint16_t ecam_seg;
static uint8_t ecam_bus_start, ecam_bus_end;
/* Where unassigned BARs go: [mmio_window_base, mmio_window_end). */
static uint64_t mmio_window_base, mmio_window_end;

bool pci_present(void)
{
	return have_arch_config || ecam_base;
}

static volatile void *ecam_addr(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	if (!ecam_base || seg != ecam_seg || bus < ecam_bus_start || bus > ecam_bus_end)
		return NULL;
	uint64_t addr = ecam_base + ((uint64_t)(bus - ecam_bus_start) << 20) +
			((uint64_t)dev << 15) + ((uint64_t)fn << 12) + off;
	return (volatile void *)(uintptr_t)addr;
}

uint32_t pci_cfg_read(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned width)
{
	if (dev > 31 || fn > 7 || off >= 4096 || (off & (width - 1)))
		return 0xFFFFFFFF;
	volatile void *p = ecam_addr(seg, bus, dev, fn, off);
	if (p) {
		switch (width) {
		case 1: return *(volatile uint8_t *)p;
		case 2: return *(volatile uint16_t *)p;
		default: return *(volatile uint32_t *)p;
		}
	}
	if (!have_arch_config)
		return pci_all_ones(width);
	return arch_pci_config_read(seg, bus, dev, fn, off, width);
}

void pci_cfg_write(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned width,
		   uint32_t v)
{
	if (dev > 31 || fn > 7 || off >= 4096 || (off & (width - 1)))
		return;
	volatile void *p = ecam_addr(seg, bus, dev, fn, off);
	if (p) {
		switch (width) {
		case 1: *(volatile uint8_t *)p = (uint8_t)v; break;
		case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
		default: *(volatile uint32_t *)p = v; break;
		}
		return;
	}
	if (have_arch_config)
		arch_pci_config_write(seg, bus, dev, fn, off, width, v);
}

#define RD(f, off, w) pci_cfg_read((f)->segment, (f)->bus, (f)->dev, (f)->fn, (off), (w))
#define WR(f, off, w, v) pci_cfg_write((f)->segment, (f)->bus, (f)->dev, (f)->fn, (off), (w), (v))

/* Size the BARs with decoding off (a BAR briefly holding all-ones must
 * not claim addresses). */
static void size_bars(struct pci_func *f)
{
	unsigned nbars = f->header_type == 0 ? 6 : f->header_type == 1 ? 2 : 0;
	uint16_t cmd = (uint16_t)RD(f, PCI_COMMAND, 2);
	WR(f, PCI_COMMAND, 2, cmd & ~(CMD_IO | CMD_MEM));
	for (unsigned i = 0; i < nbars; i++) {
		uint16_t off = (uint16_t)(0x10 + 4 * i);
		struct pci_bar *b = &f->bar[i];
		uint32_t lo = RD(f, off, 4);
		WR(f, off, 4, 0xFFFFFFFF);
		uint32_t szlo = RD(f, off, 4);
		WR(f, off, 4, lo);
		if (szlo == 0 || szlo == 0xFFFFFFFF)
			continue;
		if (lo & 1) {
			b->io = true;
			b->addr = lo & ~3u;
			b->size = (uint16_t)~(szlo & ~3u) + 1u;
			continue;
		}
		b->prefetch = lo & 8;
		uint64_t mask = szlo & ~0xFull;
		b->addr = lo & ~0xFull;
		if (((lo >> 1) & 3) == 2 && i + 1 < nbars) {
			b->is64 = true;
			uint32_t hi = RD(f, off + 4, 4);
			WR(f, off + 4, 4, 0xFFFFFFFF);
			uint32_t szhi = RD(f, off + 4, 4);
			WR(f, off + 4, 4, hi);
			b->addr |= (uint64_t)hi << 32;
			mask |= (uint64_t)szhi << 32;
			b->size = ~mask + 1;
			i++;
		} else {
			b->size = (uint32_t)(~(uint32_t)mask + 1);
		}
	}
	WR(f, PCI_COMMAND, 2, cmd);
}

static void scan_bus(uint8_t bus);

static void add_func(uint8_t bus, uint8_t dev, uint8_t fn)
{
	if (n_funcs == PCI_MAX_FUNCS)
		return;
	struct pci_func *f = &funcs[n_funcs++];
	memset(f, 0, sizeof *f);
	f->segment = seg0;
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	f->vendor = (uint16_t)RD(f, 0x00, 2);
	f->device = (uint16_t)RD(f, 0x02, 2);
	f->revision = (uint8_t)RD(f, 0x08, 1);
	f->prog_if = (uint8_t)RD(f, 0x09, 1);
	f->subclass = (uint8_t)RD(f, 0x0A, 1);
	f->class_code = (uint8_t)RD(f, 0x0B, 1);
	f->header_type = (uint8_t)RD(f, 0x0E, 1) & 0x7F;
	if (f->header_type == 0) {
		f->subsys_vendor = (uint16_t)RD(f, 0x2C, 2);
		f->subsys_id = (uint16_t)RD(f, 0x2E, 2);
	}
	f->irq_line = (uint8_t)RD(f, 0x3C, 1);
	f->irq_pin = (uint8_t)RD(f, 0x3D, 1);
	size_bars(f);
	/* No INTx until a driver attaches a handler (irq_attach_pci_intx):
	 * a device the firmware left live must not storm a shared line. */
	if (f->header_type == 0 && f->irq_pin)
		WR(f, PCI_COMMAND, 2, RD(f, PCI_COMMAND, 2) | (1u << 10));

	if (f->header_type == 1) {
		uint8_t sec = (uint8_t)RD(f, 0x19, 1);
		if (sec == 0 || sec <= bus || bus_seen[sec]) {
			/* Unnumbered (microvm): give it the next bus; open the
			 * subordinate range while scanning below. */
			if (last_bus == 255)
				return;
			sec = ++last_bus;
			WR(f, 0x18, 1, bus);
			WR(f, 0x19, 1, sec);
			WR(f, 0x1A, 1, 0xFF);
			scan_bus(sec);
			WR(f, 0x1A, 1, last_bus);
		} else {
			if (sec > last_bus)
				last_bus = sec;
			scan_bus(sec);
			uint8_t sub = (uint8_t)RD(f, 0x1A, 1);
			if (sub > last_bus)
				last_bus = sub;
		}
	}
}

static void scan_bus(uint8_t bus)
{
	if (bus_seen[bus])
		return;
	bus_seen[bus] = true;
	uint16_t seg = seg0;
	for (uint8_t dev = 0; dev < 32; dev++) {
		if ((uint16_t)pci_cfg_read(seg, bus, dev, 0, 0x00, 2) == 0xFFFF)
			continue;
		uint8_t hdr = (uint8_t)pci_cfg_read(seg, bus, dev, 0, 0x0E, 1);
		unsigned nfn = (hdr & 0x80) ? 8 : 1;
		for (uint8_t fn = 0; fn < nfn; fn++)
			if ((uint16_t)pci_cfg_read(seg, bus, dev, fn, 0x00, 2) != 0xFFFF)
				add_func(bus, dev, fn);
	}
}

/* ---- BAR assignment (only when the firmware left BARs unassigned) ----- */
static uint64_t mmio_cursor;

static bool needs_assignment(void)
{
	for (unsigned i = 0; i < n_funcs; i++)
		for (unsigned b = 0; b < 6; b++)
			if (!funcs[i].bar[b].io && funcs[i].bar[b].size && !funcs[i].bar[b].addr)
				return true;
	return false;
}

static void assign_func(struct pci_func *f)
{
	for (unsigned i = 0; i < 6; i++) {
		struct pci_bar *b = &f->bar[i];
		if (b->io || !b->size || b->addr)
			continue;
		uint64_t size = b->size < 4096 ? 4096 : b->size;
		uint64_t a = (mmio_cursor + size - 1) & ~(size - 1);
		if (a + size > mmio_window_end) {
			kprintf("pci: no room for BAR%u of %02x:%02x.%x\n", i, f->bus, f->dev, f->fn);
			continue;
		}
		mmio_cursor = a + size;
		b->addr = a;
		WR(f, 0x10 + 4 * i, 4, (uint32_t)a | (b->is64 ? 4 : 0) | (b->prefetch ? 8 : 0));
		if (b->is64)
			WR(f, 0x14 + 4 * i, 4, (uint32_t)(a >> 32));
	}
	uint16_t cmd = (uint16_t)RD(f, PCI_COMMAND, 2);
	WR(f, PCI_COMMAND, 2, cmd | CMD_MEM);
}

static void assign_bus(uint8_t bus)
{
	for (unsigned i = 0; i < n_funcs; i++) {
		struct pci_func *f = &funcs[i];
		if (f->bus != bus)
			continue;
		assign_func(f);
		if (f->header_type != 1)
			continue;
		/* Everything below the bridge goes into one 1 MiB-aligned
		 * non-prefetchable window; prefetchable and I/O windows closed. */
		mmio_cursor = (mmio_cursor + 0xFFFFF) & ~0xFFFFFull;
		uint64_t start = mmio_cursor;
		assign_bus((uint8_t)RD(f, 0x19, 1));
		mmio_cursor = (mmio_cursor + 0xFFFFF) & ~0xFFFFFull;
		if (mmio_cursor > start) {
			WR(f, 0x20, 2, (uint16_t)(start >> 16) & 0xFFF0);
			WR(f, 0x22, 2, (uint16_t)((mmio_cursor - 1) >> 16) & 0xFFF0);
		} else {
			WR(f, 0x20, 2, 0xFFF0);
			WR(f, 0x22, 2, 0);
		}
		WR(f, 0x24, 2, 0xFFF0);
		WR(f, 0x26, 2, 0);
		WR(f, 0x28, 4, 0);
		WR(f, 0x2C, 4, 0);
		WR(f, 0x1C, 1, 0xF0);
		WR(f, 0x1D, 1, 0);
		uint16_t cmd = (uint16_t)RD(f, PCI_COMMAND, 2);
		WR(f, PCI_COMMAND, 2, cmd | CMD_MEM | CMD_MASTER);
	}
}

static void assign_bars(void)
{
	const struct boot_info *bi = kernel_boot_info();
	arch_pci_bar_window(&mmio_window_base, &mmio_window_end);
	for (unsigned i = 0; bi && i < bi->n_mem; i++) {
		if (bi->mem[i].base < mmio_window_end &&
		    bi->mem[i].base + bi->mem[i].len > mmio_window_base) {
			kprintf("pci: unassigned BARs, but RAM overlaps the MMIO window; left alone\n");
			return;
		}
	}
	/* Start above anything the firmware did place in the window. */
	mmio_cursor = mmio_window_base;
	for (unsigned i = 0; i < n_funcs; i++)
		for (unsigned b = 0; b < 6; b++) {
			const struct pci_bar *r = &funcs[i].bar[b];
			if (!r->io && r->addr >= mmio_window_base && r->addr < mmio_window_end &&
			    r->addr + r->size > mmio_cursor)
				mmio_cursor = r->addr + r->size;
		}
	/* Root buses only: bridges recurse into their children. */
	for (unsigned i = 0; i < 256; i++) {
		bool is_child = false;
		for (unsigned k = 0; k < n_funcs; k++)
			if (funcs[k].header_type == 1 && RD(&funcs[k], 0x19, 1) == i)
				is_child = true;
		if (bus_seen[i] && !is_child)
			assign_bus((uint8_t)i);
	}
}

/* A machine may have an ECAM window no MCFG lists (microvm,pcie=on puts a
 * generic host bridge's there).  Accept the machine's candidate only on a
 * hardware-reduced ACPI machine without another configuration mechanism,
 * and only if a host bridge (class 06/00) answers at bus 0, device 0. */
static void ecam_unlisted_probe(void)
{
	uint64_t base = arch_pci_unlisted_ecam();
	if (!base || have_arch_config || !acpi()->hw_reduced)
		return;
	volatile uint32_t *id = (volatile uint32_t *)(uintptr_t)base;
	uint32_t v = id[0], cls = id[2] >> 16;
	if ((v & 0xFFFF) == 0xFFFF || (v & 0xFFFF) == 0 || cls != 0x0600)
		return;
	ecam_base = base;
	ecam_seg = 0;
	ecam_bus_start = 0;
	ecam_bus_end = 255;
}

void pci_init(void)
{
	have_arch_config = arch_pci_config_probe();
	const struct acpi_info *a = acpi();
	if (a->ecam_base) {
		ecam_base = a->ecam_base;
		ecam_seg = a->ecam_segment;
		ecam_bus_start = a->ecam_bus_start;
		ecam_bus_end = a->ecam_bus_end;
	} else {
		ecam_unlisted_probe();
	}
	seg0 = ecam_base ? ecam_seg : 0;
	if (!pci_present()) {
		kprintf("pci: no configuration mechanism (no host bridge)\n");
		return;
	}
	size_t pages = (sizeof(struct pci_func) * PCI_MAX_FUNCS + 4095) / 4096;
	funcs = page_alloc(pages);
	if (!funcs)
		kpanic("pci: no memory");
	uint8_t first = ecam_base && !have_arch_config ? ecam_bus_start : 0;
	last_bus = first;
	scan_bus(first);
	/* Firmware that knows the machine's PCI (SeaBIOS, OVMF on pc/q35,
	 * both where CF8 works) has assigned everything it could and set up
	 * the bridge windows; redoing that would tear its windows down. */
	if (!have_arch_config && needs_assignment())
		assign_bars();
}

unsigned pci_count(void)
{
	return n_funcs;
}

const struct pci_func *pci_get(unsigned i)
{
	return i < n_funcs ? &funcs[i] : NULL;
}

const struct pci_func *pci_find(uint16_t vendor, uint16_t device, unsigned nth)
{
	for (unsigned i = 0; i < n_funcs; i++) {
		const struct pci_func *f = &funcs[i];
		if ((vendor == 0xFFFF || f->vendor == vendor) && (device == 0xFFFF || f->device == device) &&
		    nth-- == 0)
			return f;
	}
	return NULL;
}

const struct pci_func *pci_lookup(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	for (unsigned i = 0; i < n_funcs; i++) {
		const struct pci_func *f = &funcs[i];
		if (f->segment == seg && f->bus == bus && f->dev == dev && f->fn == fn)
			return f;
	}
	return NULL;
}

void pci_enable(const struct pci_func *f, bool mem, bool io, bool master)
{
	uint16_t cmd = (uint16_t)RD(f, PCI_COMMAND, 2);
	uint16_t want = (uint16_t)(cmd | (mem ? CMD_MEM : 0) | (io ? CMD_IO : 0) | (master ? CMD_MASTER : 0));
	if (want != cmd)
		WR(f, PCI_COMMAND, 2, want);
}
