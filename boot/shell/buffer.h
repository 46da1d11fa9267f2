/*
 * buffer.h - data buffers for the shell's tools: zeroed, from the heap when
 * small, from the page allocator when large (the heap is 32 MiB; a dd with
 * bs=16M or an sg_raw of a few MiB should not exhaust it).
 */
#ifndef VSCSI_BOOT_SHELL_BUFFER_H
#define VSCSI_BOOT_SHELL_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

struct io_buffer {
	void *p;
	size_t size;
	bool pages;      /* from the page allocator */
};

/* size 0 gives a valid, empty buffer.  false when memory is short. */
bool io_buffer_alloc(struct io_buffer *b, size_t size);
/* Frees what io_buffer_alloc gave (and nothing, for a zeroed struct). */
void io_buffer_free(struct io_buffer *b);

#endif
