/*
 * pvh.c - turn the PVH hvm_start_info QEMU hands us into a struct
 * boot_info, then enter the kernel core.
 *
 * Layout of hvm_start_info (Xen public arch-x86/hvm/start_info.h, version 1)
 * and its memory map entries, as QEMU's PVH loader fills them.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/boot.h"

#define HVM_START_MAGIC 0x336ec578u
#define E820_RAM 1
/* entry.S identity-maps this much (PD_COUNT page directories of 1 GiB). */
#define MAPPED_END (64ull << 30)

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* Linker script symbols: the whole loaded image, .bss (page tables,
 * stack) included. */
extern char __image_start[], __image_end[];

static struct boot_info bios_boot_info;
static char bios_cmdline[4096];

void pvh_main(uint32_t start_info_phys) __attribute__((noreturn));

void pvh_main(uint32_t start_info_phys)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_phys;
	struct boot_info *bi = &bios_boot_info;

	if (si->magic != HVM_START_MAGIC) {
		/* Not PVH: no map, no command line.  Assume 64 MiB above 1 MiB. */
		bi->mem[0].base = 0x100000;
		bi->mem[0].len = 63ull << 20;
		bi->n_mem = 1;
	} else {
		if (si->cmdline_paddr) {
			/* Copy now: the page allocator may hand its page out. */
			strncpy(bios_cmdline, (const char *)(uintptr_t)si->cmdline_paddr,
				sizeof bios_cmdline - 1);
			bi->cmdline = bios_cmdline;
		}
		bi->rsdp = si->rsdp_paddr;
		const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
		for (uint32_t i = 0; si->memmap_paddr && i < si->memmap_entries; i++) {
			if (e[i].type != E820_RAM || e[i].size == 0)
				continue;
			if (bi->n_mem == sizeof bi->mem / sizeof bi->mem[0])
				break;
			bi->mem[bi->n_mem].base = e[i].addr;
			bi->mem[bi->n_mem].len = e[i].size;
			bi->n_mem++;
		}
	}
	bi->uefi = false;
	bi->mapped_end = MAPPED_END;
	/* Low 1 MiB (start_info, memmap, BIOS) is excluded by kernel/pages.c. */
	boot_mem_exclude(bi, (uintptr_t)__image_start,
			 (uintptr_t)__image_end - (uintptr_t)__image_start);
	kernel_main(bi);
}
