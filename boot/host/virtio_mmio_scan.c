/*
 * virtio_mmio_scan.c - find virtio-mmio transports on microvm.
 *
 * QEMU's microvm places its virtio-mmio transports at 0xFEB00000 + 0x200*i
 * (24 of them with ACPI, 8 without), wired to GSI 24+i on the second
 * IOAPIC (5+i with acpi=off).  Empty transports answer with the magic and
 * device id 0 (virtio 1.2 §4.2.2), so probing reads are harmless.  On
 * other machines nothing answers: the reads return all-ones or zero.
 */
#include <stdint.h>

#include "host/virtio_mmio_scan.h"
#include "kernel/acpi.h"
#include "kernel/mmio.h"
#include "kernel/pci.h"

#define MMIO_WINDOW 0xFEB00000ull
#define MMIO_SLOT 0x200u
#define VIRT_MAGIC 0x74726976u   /* "virt" */

/* pc and q35 have an Intel host bridge at 00:00.0; microvm has none, or
 * with pcie=on a generic one (1b36:0008).  Only probe the window there,
 * where nothing else can live at that address. */
static bool is_microvm(void)
{
	const struct pci_func *hb = pci_lookup(0, 0, 0, 0);
	return !hb || hb->vendor != 0x8086;
}

unsigned mmio_scan_virtio(struct mmio_dev *out, unsigned max)
{
	if (!is_microvm())
		return 0;
	unsigned slots = acpi()->found ? 24 : 8;
	uint32_t gsi_base = acpi()->found ? 24 : 5;
	unsigned n = 0;
	for (unsigned i = 0; i < slots && n < max; i++) {
		uint64_t base = MMIO_WINDOW + (uint64_t)MMIO_SLOT * i;
		if (mmio_read32(base) != VIRT_MAGIC)
			continue;
		uint32_t id = mmio_read32(base + 8);
		if (id == 0)
			continue;
		out[n++] = (struct mmio_dev){
			.base = base, .size = MMIO_SLOT, .gsi = gsi_base + i,
			.device_id = id, .version = mmio_read32(base + 4),
		};
	}
	return n;
}
