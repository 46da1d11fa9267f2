/* newlib_heap.h - the heap newlib's malloc grows into through sbrk. */
#ifndef VSCSI_BOOT_KERNEL_NEWLIB_HEAP_H
#define VSCSI_BOOT_KERNEL_NEWLIB_HEAP_H

#include <stddef.h>

/* Take the heap from the page allocator: `bytes`, or half as much until it
 * fits (at least 1 MiB; kpanic otherwise). */
void heap_init(size_t bytes);

#endif
