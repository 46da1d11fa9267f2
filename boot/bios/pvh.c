/*
 * pvh.c - turn the PVH hvm_start_info QEMU hands us into a struct
 * boot_info, then enter the kernel core.
 *
 * Layout of hvm_start_info (Xen public arch-x86/hvm/start_info.h, version 1)
 * and its memory map entries, as QEMU's PVH loader fills them.
 *
 * The command line: the start info gives the physical address of a
 * NUL-terminated string and no length limit, so it is handed over where it
 * lies, whatever its length, and kept out of the RAM list.  QEMU 7.2's PVH
 * loader (its option ROM) copies `-append` into a 4096-byte buffer without
 * checking the length: a longer command line runs over the buffer and, past
 * 4128 bytes, over the start info itself (its magic first).  A start info
 * without its magic is then no PVH boot we can trust: the memory map comes
 * from QEMU's fw_cfg file etc/e820 and the command line from QEMU's fw_cfg
 * copy of -append (kernel/main.c reads it once the heap exists), so the
 * script still runs whole.  (From about 23.8 KB the loader's overflow stops
 * the boot before this code runs: QEMU's limit, not ours.)
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/boot.h"
#include "kernel/fwcfg.h"

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

void pvh_main(uint32_t start_info_phys) __attribute__((noreturn));

static void add_ram(struct boot_info *bi, uint64_t base, uint64_t len)
{
	if (len && bi->n_mem < sizeof bi->mem / sizeof bi->mem[0]) {
		bi->mem[bi->n_mem].base = base;
		bi->mem[bi->n_mem].len = len;
		bi->n_mem++;
	}
}

/*
 * QEMU's fw_cfg file etc/e820: packed little-endian entries {u64 address,
 * u64 length, u32 type}, the map QEMU gives the firmware.  false when
 * there is no such file.
 */
static bool ram_from_fw_cfg(struct boot_info *bi)
{
	static uint8_t map[128 * 20];
	long size = fwcfg_read_file("etc/e820", map, sizeof map);
	if (size <= 0)
		return false;
	if ((unsigned long)size > sizeof map)
		size = sizeof map;
	for (long off = 0; off + 20 <= size; off += 20) {
		uint64_t base, len;
		uint32_t type;
		memcpy(&base, map + off, 8);
		memcpy(&len, map + off + 8, 8);
		memcpy(&type, map + off + 16, 4);
		if (type == E820_RAM)
			add_ram(bi, base, len);
	}
	return bi->n_mem > 0;
}

/* The start info's command line, where it lies; NULL when it is not within
 * the identity map. */
static const char *pvh_cmdline(struct boot_info *bi, uint64_t paddr)
{
	if (!paddr || paddr >= MAPPED_END)
		return NULL;
	const char *s = (const char *)(uintptr_t)paddr;
	size_t n = strnlen(s, MAPPED_END - paddr);
	if (paddr + n >= MAPPED_END)
		return NULL;
	/* Keep the page allocator off it: the shell reads it after boot. */
	boot_mem_exclude(bi, paddr, n + 1);
	return s;
}

void pvh_main(uint32_t start_info_phys)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_phys;
	struct boot_info *bi = &bios_boot_info;

	if (si->magic != HVM_START_MAGIC) {
		bi->notice = "vscsi: the loader's PVH start info is missing or damaged (QEMU's PVH "
			     "loader overruns it when -append is longer than 4095 bytes): memory "
			     "map and command line from fw_cfg";
		if (!ram_from_fw_cfg(bi)) {
			/* No map at all: assume 64 MiB above 1 MiB. */
			add_ram(bi, 0x100000, 63ull << 20);
		}
	} else {
		bi->rsdp = si->rsdp_paddr;
		const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
		for (uint32_t i = 0; si->memmap_paddr && i < si->memmap_entries; i++)
			if (e[i].type == E820_RAM)
				add_ram(bi, e[i].addr, e[i].size);
		bi->cmdline = pvh_cmdline(bi, si->cmdline_paddr);
	}
	bi->uefi = false;
	bi->mapped_end = MAPPED_END;
	/* Low 1 MiB (start_info, memmap, BIOS) is excluded by kernel/pages.c. */
	boot_mem_exclude(bi, (uintptr_t)__image_start,
			 (uintptr_t)__image_end - (uintptr_t)__image_start);
	kernel_main(bi);
}
