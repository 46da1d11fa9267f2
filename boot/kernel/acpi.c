/*
 * acpi.c - just enough ACPI for the test kernel (ACPI 6.x table layouts):
 * RSDP -> RSDT/XSDT; MCFG for the PCIe ECAM window; MADT for the local
 * APIC, the IOAPICs and the ISA interrupt overrides; FADT for powering
 * off (PM1a control port or the hardware-reduced sleep register) with the
 * SLP_TYP value of \_S5 found by a byte search of the DSDT.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/pio.h"
#include "kernel/serial.h"

struct __attribute__((packed)) rsdp {
	char sig[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t xchecksum, reserved[3];
};

struct __attribute__((packed)) sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
};

struct __attribute__((packed)) gas {
	uint8_t space, bit_width, bit_offset, access_size;
	uint64_t address;
};

static struct acpi_info info;
static const struct sdt_header *tables[64];
static unsigned n_tables;

const struct acpi_info *acpi(void)
{
	return &info;
}

static uint8_t sum(const void *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s += ((const uint8_t *)p)[i];
	return s;
}

static const struct rsdp *rsdp_at(uint64_t a)
{
	const struct rsdp *r = (const void *)(uintptr_t)a;
	if (memcmp(r->sig, "RSD PTR ", 8) != 0 || sum(r, 20) != 0)
		return NULL;
	return r;
}

static const struct rsdp *rsdp_scan(void)
{
	/* ACPI 6.5 §5.2.5.1: on 16-byte boundaries in the BIOS area
	 * (and the first KiB of the EBDA, which QEMU does not use). */
	for (uint64_t a = 0xE0000; a < 0x100000; a += 16) {
		const struct rsdp *r = rsdp_at(a);
		if (r)
			return r;
	}
	return NULL;
}

static void add_table(uint64_t a)
{
	const struct sdt_header *h = (const void *)(uintptr_t)a;
	if (!a || n_tables == sizeof tables / sizeof tables[0])
		return;
	if (h->length < sizeof *h || h->length > (16u << 20) || sum(h, h->length) != 0) {
		kprintf("acpi: table at %lx has a bad checksum, ignored\n", a);
		return;
	}
	tables[n_tables++] = h;
}

const void *acpi_find_table(const char sig[4], unsigned nth)
{
	for (unsigned i = 0; i < n_tables; i++)
		if (memcmp(tables[i]->sig, sig, 4) == 0 && nth-- == 0)
			return tables[i];
	return NULL;
}

static void parse_mcfg(const struct sdt_header *h)
{
	/* Header, 8 reserved bytes, then 16-byte allocations. */
	const uint8_t *p = (const uint8_t *)h + sizeof *h + 8;
	const uint8_t *end = (const uint8_t *)h + h->length;
	if (p + 16 > end)
		return;
	memcpy(&info.ecam_base, p, 8);
	memcpy(&info.ecam_segment, p + 8, 2);
	info.ecam_bus_start = p[10];
	info.ecam_bus_end = p[11];
}

static void parse_madt(const struct sdt_header *h)
{
	const uint8_t *p = (const uint8_t *)h + sizeof *h;
	const uint8_t *end = (const uint8_t *)h + h->length;
	memcpy(&info.lapic_addr, p, 4);
	for (p += 8; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		switch (p[0]) {
		case 1: /* I/O APIC */
			if (info.n_ioapics < ACPI_MAX_IOAPICS && p[1] >= 12) {
				struct acpi_ioapic *io = &info.ioapic[info.n_ioapics++];
				io->id = p[2];
				memcpy(&io->addr, p + 4, 4);
				memcpy(&io->gsi_base, p + 8, 4);
			}
			break;
		case 2: /* interrupt source override */
			if (info.n_isos < ACPI_MAX_ISOS && p[1] >= 10) {
				struct acpi_iso *o = &info.iso[info.n_isos++];
				o->source = p[3];
				memcpy(&o->gsi, p + 4, 4);
				memcpy(&o->flags, p + 8, 2);
			}
			break;
		case 5: /* local APIC address override */
			if (p[1] >= 12) {
				uint64_t a;
				memcpy(&a, p + 4, 8);
				info.lapic_addr = (uint32_t)a;
			}
			break;
		}
	}
}

/* \_S5 is "Name(_S5_, Package(){typ_a, typ_b, ...})": NameOp (0x08),
 * "_S5_", PackageOp (0x12), PkgLength, NumElements, then the first
 * element as BytePrefix (0x0A) n, or ZeroOp (0x00) / OneOp (0x01). */
static void find_s5(const struct sdt_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt + sizeof *dsdt;
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;
	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
			continue;
		const uint8_t *q = p + 5;
		q += 1 + (*q >> 6);       /* PkgLength: lead byte + extra bytes */
		q++;                      /* NumElements */
		if (q >= end)
			return;
		if (*q == 0x0A && q + 1 < end)
			info.s5_slp_typ = q[1];
		else if (*q == 0x00 || *q == 0x01)
			info.s5_slp_typ = *q;
		else
			return;
		info.s5_valid = true;
		return;
	}
}

static void parse_fadt(const struct sdt_header *h)
{
	const uint8_t *f = (const uint8_t *)h;
	uint32_t len = h->length;
	uint32_t dsdt32 = 0, pm1a = 0, flags = 0;
	uint64_t dsdt64 = 0;
	if (len >= 44)
		memcpy(&dsdt32, f + 40, 4);
	if (len >= 48)
		memcpy(&info.sci_irq, f + 46, 2);
	if (len >= 68)
		memcpy(&pm1a, f + 64, 4);
	if (len >= 116)
		memcpy(&flags, f + 112, 4);
	if (len >= 148)
		memcpy(&dsdt64, f + 140, 8);
	info.pm1a_cnt = pm1a;
	if (!pm1a && len >= 184) {
		struct gas g;
		memcpy(&g, f + 172, sizeof g);
		if (g.space == 1)
			info.pm1a_cnt = (uint32_t)g.address;
	}
	info.hw_reduced = flags & (1u << 20);
	if (len >= 256) {
		struct gas g;
		memcpy(&g, f + 244, sizeof g);
		if (g.address && (g.space == 0 || g.space == 1)) {
			info.sleep_ctl = g.address;
			info.sleep_ctl_io = g.space == 1;
		}
	}
	uint64_t dsdt = dsdt64 ? dsdt64 : dsdt32;
	const struct sdt_header *d = (const void *)(uintptr_t)dsdt;
	if (dsdt && memcmp(d->sig, "DSDT", 4) == 0 && d->length > sizeof *d)
		find_s5(d);
}

void acpi_init(uint64_t rsdp_hint)
{
	const struct rsdp *r = rsdp_hint ? rsdp_at(rsdp_hint) : NULL;
	if (!r)
		r = rsdp_scan();
	if (!r) {
		kprintf("acpi: no RSDP\n");
		return;
	}
	info.found = true;
	info.rsdp = (uintptr_t)r;
	if (r->revision >= 2 && r->xsdt) {
		const struct sdt_header *x = (const void *)(uintptr_t)r->xsdt;
		unsigned n = (x->length - sizeof *x) / 8;
		for (unsigned i = 0; i < n; i++) {
			uint64_t a;
			memcpy(&a, (const uint8_t *)x + sizeof *x + 8 * i, 8);
			add_table(a);
		}
	} else {
		const struct sdt_header *t = (const void *)(uintptr_t)r->rsdt;
		unsigned n = (t->length - sizeof *t) / 4;
		for (unsigned i = 0; i < n; i++) {
			uint32_t a;
			memcpy(&a, (const uint8_t *)t + sizeof *t + 4 * i, 4);
			add_table(a);
		}
	}
	const struct sdt_header *h;
	if ((h = acpi_find_table("MCFG", 0)))
		parse_mcfg(h);
	if ((h = acpi_find_table("APIC", 0)))
		parse_madt(h);
	if ((h = acpi_find_table("FACP", 0)))
		parse_fadt(h);
}

void acpi_poweroff(void)
{
	if (!info.s5_valid)
		return;
	if (info.pm1a_cnt) {
		/* PM1 control (ACPI 6.5 §4.8.3.2.1): SLP_TYP bits 10-12, SLP_EN bit 13. */
		arch_port_write16((uint16_t)info.pm1a_cnt,
				  (uint16_t)((info.s5_slp_typ & 7) << 10 | 1 << 13));
	} else if (info.sleep_ctl) {
		/* Hardware-reduced sleep control (ACPI 6.5 §4.8.3.7): SLP_TYP
		 * bits 2-4, SLP_EN bit 5. */
		uint8_t v = (uint8_t)((info.s5_slp_typ & 7) << 2 | 1 << 5);
		if (info.sleep_ctl_io)
			arch_port_write8((uint16_t)info.sleep_ctl, v);
		else
			*(volatile uint8_t *)(uintptr_t)info.sleep_ctl = v;
	}
	for (volatile int i = 0; i < 1000000; i++)
		;
}
