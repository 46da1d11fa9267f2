/* buffer.c - the tools' data buffers (buffer.h). */
#include <stdlib.h>

#include "kernel/pages.h"
#include "shell/buffer.h"

/* Buffers larger than this come from the page allocator, not the heap. */
#define HEAP_LIMIT (256u << 10)

static size_t pages_for(size_t size)
{
	return (size + 4095) / 4096;
}

bool io_buffer_alloc(struct io_buffer *b, size_t size)
{
	b->size = size;
	b->pages = size > HEAP_LIMIT;
	if (b->pages)
		b->p = page_alloc(pages_for(size));
	else
		b->p = calloc(1, size ? size : 1);
	return b->p != NULL;
}

void io_buffer_free(struct io_buffer *b)
{
	if (!b->p)
		return;
	if (b->pages)
		page_free(b->p, pages_for(b->size));
	else
		free(b->p);
	b->p = NULL;
}
