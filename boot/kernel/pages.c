/*
 * pages.c - the physical page allocator: a sorted list of free ranges,
 * first fit from the lowest address.  Virtual == physical everywhere, so a
 * run of pages is contiguous for the CPU and for devices.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/boot.h"
#include "kernel/pages.h"

#define PAGE 4096ull
#define MAX_RANGES 256
#define LOW_LIMIT 0x100000ull   /* below 1 MiB: BIOS data, boot info, EBDA */

struct range { uint64_t base, end; };
static struct range free_list[MAX_RANGES];
static unsigned n_free;

void boot_mem_exclude(struct boot_info *bi, uint64_t base, uint64_t len)
{
	uint64_t end = base + len;
	for (unsigned i = 0; i < bi->n_mem; i++) {
		uint64_t b = bi->mem[i].base, e = b + bi->mem[i].len;
		if (end <= b || base >= e)
			continue;
		if (base > b && end < e) {
			/* Split in two; drop the tail if the table is full. */
			if (bi->n_mem < sizeof bi->mem / sizeof bi->mem[0]) {
				bi->mem[bi->n_mem].base = end;
				bi->mem[bi->n_mem].len = e - end;
				bi->n_mem++;
			}
			bi->mem[i].len = base - b;
		} else if (base <= b && end >= e) {
			bi->mem[i].len = 0;
		} else if (base <= b) {
			bi->mem[i].base = end;
			bi->mem[i].len = e - end;
		} else {
			bi->mem[i].len = base - b;
		}
	}
}

static void insert_range(uint64_t base, uint64_t end)
{
	unsigned i = 0;
	while (i < n_free && free_list[i].base < base)
		i++;
	/* Merge with the neighbours when they touch. */
	if (i > 0 && free_list[i - 1].end == base) {
		free_list[i - 1].end = end;
		if (i < n_free && free_list[i].base == end) {
			free_list[i - 1].end = free_list[i].end;
			memmove(&free_list[i], &free_list[i + 1], (n_free - i - 1) * sizeof free_list[0]);
			n_free--;
		}
		return;
	}
	if (i < n_free && free_list[i].base == end) {
		free_list[i].base = base;
		return;
	}
	if (n_free == MAX_RANGES)
		return;  /* leak rather than corrupt */
	memmove(&free_list[i + 1], &free_list[i], (n_free - i) * sizeof free_list[0]);
	free_list[i].base = base;
	free_list[i].end = end;
	n_free++;
}

void pages_init(const struct boot_info *bi)
{
	n_free = 0;
	for (unsigned i = 0; i < bi->n_mem; i++) {
		uint64_t b = bi->mem[i].base, e = b + bi->mem[i].len;
		if (b < LOW_LIMIT)
			b = LOW_LIMIT;
		b = (b + PAGE - 1) & ~(PAGE - 1);
		e &= ~(PAGE - 1);
		/* Only what the entry's page tables map. */
		if (bi->mapped_end && e > bi->mapped_end)
			e = bi->mapped_end;
		if (e > b)
			insert_range(b, e);
	}
}

void *page_alloc_aligned(size_t npages, size_t align)
{
	uint64_t len = npages * PAGE;
	if (align < PAGE)
		align = PAGE;
	if (!npages || (align & (align - 1)))
		return NULL;
	for (unsigned i = 0; i < n_free; i++) {
		uint64_t b = (free_list[i].base + align - 1) & ~((uint64_t)align - 1);
		if (b < free_list[i].base || b + len > free_list[i].end)
			continue;
		uint64_t rb = free_list[i].base, re = free_list[i].end;
		/* Remove [b, b+len) from this range, keep what is left. */
		memmove(&free_list[i], &free_list[i + 1], (n_free - i - 1) * sizeof free_list[0]);
		n_free--;
		if (rb < b)
			insert_range(rb, b);
		if (b + len < re)
			insert_range(b + len, re);
		void *p = (void *)(uintptr_t)b;
		memset(p, 0, len);
		return p;
	}
	return NULL;
}

void *page_alloc(size_t npages)
{
	return page_alloc_aligned(npages, PAGE);
}

void page_free(void *p, size_t npages)
{
	if (!p || !npages)
		return;
	uint64_t b = (uintptr_t)p;
	insert_range(b, b + npages * PAGE);
}

uint64_t pages_free_bytes(void)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < n_free; i++)
		sum += free_list[i].end - free_list[i].base;
	return sum;
}
