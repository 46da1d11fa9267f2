/*
 * newlib_heap.c - the heap newlib's malloc grows into: one run of pages
 * taken at boot, handed out by sbrk (one of the system calls newlib leaves
 * to its host; the rest are in boot/fs/syscalls.c).
 */
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include "kernel/boot.h"
#include "kernel/newlib_heap.h"
#include "kernel/pages.h"

#undef errno
extern int errno;

static char *heap_base, *heap_brk, *heap_end;

void heap_init(size_t bytes)
{
	while (bytes >= (1u << 20)) {
		heap_base = page_alloc(bytes / 4096);
		if (heap_base)
			break;
		bytes /= 2;
	}
	if (!heap_base)
		kpanic("no memory for the heap");
	heap_brk = heap_base;
	heap_end = heap_base + bytes;
}

void *sbrk(ptrdiff_t incr)
{
	if (!heap_base || incr > heap_end - heap_brk || incr < heap_base - heap_brk) {
		errno = ENOMEM;
		return (void *)-1;
	}
	char *old = heap_brk;
	heap_brk += incr;
	return old;
}
