/*
 * acpi.h - the ACPI tables the test kernel reads (ACPI 6.5 layouts): the
 * RSDP and RSDT/XSDT, MCFG (the PCIe ECAM window), MADT (interrupt
 * controllers and ISA overrides) and FADT (how to power off, with the
 * SLP_TYP value of \_S5 from the DSDT).
 */
#ifndef VSCSI_BOOT_KERNEL_ACPI_H
#define VSCSI_BOOT_KERNEL_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISOS 24

struct acpi_ioapic { uint8_t id; uint32_t addr; uint32_t gsi_base; };
struct acpi_iso { uint8_t source; uint32_t gsi; uint16_t flags; }; /* MPS INTI flags */

struct acpi_info {
	bool found;
	uint64_t rsdp;
	uint64_t ecam_base;             /* 0 = no MCFG */
	uint16_t ecam_segment;
	uint8_t ecam_bus_start, ecam_bus_end;
	uint32_t lapic_addr;
	unsigned n_ioapics;
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
	unsigned n_isos;
	struct acpi_iso iso[ACPI_MAX_ISOS];
	uint16_t sci_irq;
	uint32_t pm1a_cnt;              /* PM1a control block in I/O space, 0 = none */
	bool hw_reduced;
	uint64_t sleep_ctl;             /* hardware-reduced sleep control register */
	bool sleep_ctl_io;              /* ... in I/O space (else memory) */
	bool s5_valid;
	uint8_t s5_slp_typ;             /* \_S5 package, first element */
};

/* Find the tables (at rsdp_hint, or by a scan of the BIOS area) and parse
 * them; without an RSDP acpi()->found stays false. */
void acpi_init(uint64_t rsdp_hint);
const struct acpi_info *acpi(void);
/* Find a table by signature (nth match, from 0); NULL when absent. */
const void *acpi_find_table(const char sig[4], unsigned nth);
/* Enter S5 (soft off); returns if that did not work. */
void acpi_poweroff(void);

#endif
