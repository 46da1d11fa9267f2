/*
 * boot/efi/efi_boot.h - what the files of the GNU-EFI entry share.
 *
 * efi_main.c talks to the firmware (console, configuration table,
 * LoadOptions, memory map, ExitBootServices); efi_memmap.c turns a memory
 * map into the kernel's list of usable RAM and calls nothing at all, so it
 * may run after ExitBootServices.
 */
#ifndef VSCSI_BOOT_EFI_BOOT_H
#define VSCSI_BOOT_EFI_BOOT_H

#include <efi.h>
#include "kernel/boot.h"

/*
 * Fills out[0..max) with the EfiConventionalMemory ranges of the map
 * (map_size bytes, one descriptor every desc_size bytes), sorted by base,
 * adjacent ranges merged.  Returns how many ranges were written; *dropped
 * receives the bytes left out because more than `max` disjoint ranges exist
 * (the smallest ones go).
 */
unsigned efi_usable_ranges(const void *map, UINTN map_size, UINTN desc_size,
			   struct boot_memrange *out, unsigned max,
			   uint64_t *dropped);

#endif
