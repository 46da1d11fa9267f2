/*
 * boot/efi/efi_memmap.c - the UEFI memory map turned into usable RAM ranges.
 *
 * Only EfiConventionalMemory is handed to the kernel.  Everything else stays
 * out on purpose: our image is EfiLoaderCode/Data, the stack we run on and
 * OVMF's page tables and GDT (which the kernel keeps in UEFI mode) are
 * EfiBootServicesData, and ACPI/runtime/MMIO regions are never RAM to reuse.
 * Runs after ExitBootServices, so it calls no firmware service.
 */
#include "efi_boot.h"

#define EFI_PAGE_BYTES 4096ULL

/* Removes entry `at` from r[0..*n). */
static void remove_at(struct boot_memrange *r, unsigned *n, unsigned at)
{
	for (unsigned k = at; k + 1 < *n; k++)
		r[k] = r[k + 1];
	(*n)--;
}

/*
 * Adds [base, base+len) to the sorted, disjoint list r[0..*n), merging it
 * with the ranges it touches.  When the list is full and the range is new,
 * the smallest range of the two candidates is dropped.  Returns bytes dropped.
 */
static uint64_t add_range(struct boot_memrange *r, unsigned *n, unsigned max,
			  uint64_t base, uint64_t len)
{
	uint64_t end = base + len;
	unsigned i = 0;

	/* First range that ends at or after `base`: the merge candidate. */
	while (i < *n && r[i].base + r[i].len < base)
		i++;

	if (i < *n && r[i].base <= end) {
		uint64_t nb = r[i].base < base ? r[i].base : base;
		uint64_t ne = r[i].base + r[i].len > end ? r[i].base + r[i].len : end;

		/* The grown range may now reach the ones after it. */
		while (i + 1 < *n && r[i + 1].base <= ne) {
			uint64_t e2 = r[i + 1].base + r[i + 1].len;
			if (e2 > ne)
				ne = e2;
			remove_at(r, n, i + 1);
		}
		r[i].base = nb;
		r[i].len = ne - nb;
		return 0;
	}

	if (*n == max) {
		unsigned s = 0;
		for (unsigned k = 1; k < *n; k++)
			if (r[k].len < r[s].len)
				s = k;
		if (max == 0 || r[s].len >= len)
			return len;
		uint64_t lost = r[s].len;
		remove_at(r, n, s);
		/* Now not full; the new range touches none, so it is inserted. */
		add_range(r, n, max, base, len);
		return lost;
	}

	for (unsigned k = *n; k > i; k--)
		r[k] = r[k - 1];
	r[i].base = base;
	r[i].len = len;
	(*n)++;
	return 0;
}

unsigned efi_usable_ranges(const void *map, UINTN map_size, UINTN desc_size,
			   struct boot_memrange *out, unsigned max,
			   uint64_t *dropped)
{
	const uint8_t *p = map;
	unsigned n = 0;

	*dropped = 0;
	/*
	 * UEFI 2.10 §7.2.3 (GetMemoryMap): descriptors are DescriptorSize bytes
	 * apart, which may exceed sizeof(EFI_MEMORY_DESCRIPTOR) (OVMF: 48 vs 40).
	 */
	if (desc_size < sizeof(EFI_MEMORY_DESCRIPTOR))
		return 0;

	for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(p + off);
		uint64_t base = d->PhysicalStart;
		uint64_t pages = d->NumberOfPages;

		if (d->Type != EfiConventionalMemory || pages == 0)
			continue;
		/* Reject descriptors whose end would wrap: a firmware bug. */
		if (pages > (~0ULL - base) / EFI_PAGE_BYTES)
			continue;
		uint64_t end = base + pages * EFI_PAGE_BYTES;
		/* UEFI pages are 4 KiB aligned; trim defensively if not. */
		base = (base + EFI_PAGE_BYTES - 1) & ~(EFI_PAGE_BYTES - 1);
		end &= ~(EFI_PAGE_BYTES - 1);
		if (base >= end)
			continue;
		*dropped += add_range(out, &n, max, base, end - base);
	}
	return n;
}
