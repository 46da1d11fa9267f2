/*
 * pages.h - physical pages: 4 KiB, zeroed, contiguous, virtual == physical,
 * so a run of pages serves the CPU and devices alike.
 */
#ifndef VSCSI_BOOT_KERNEL_PAGES_H
#define VSCSI_BOOT_KERNEL_PAGES_H

#include <stddef.h>
#include <stdint.h>

struct boot_info;

void pages_init(const struct boot_info *bi);
void *page_alloc(size_t npages);                       /* NULL when out */
void *page_alloc_aligned(size_t npages, size_t align); /* align: power of 2 >= 4096 */
void page_free(void *p, size_t npages);
uint64_t pages_free_bytes(void);

#endif
