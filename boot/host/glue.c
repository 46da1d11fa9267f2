/*
 * glue.c - the test kernel's side of include/vscsi/glue.h: identity DMA
 * from the page allocator, port and memory-mapped I/O, PCI configuration,
 * the kernel's clock, interrupt-masking locks (one CPU) and interrupt
 * routing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/glue.h"
#include "kernel/boot.h"
#include "kernel/clock.h"
#include "kernel/irq.h"
#include "kernel/pages.h"
#include "kernel/pci.h"
#include "kernel/pio.h"
#include "kernel/serial.h"
#include "vscsi/glue.h"

/* ---- DMA memory ----------------------------------------------------------
 * Whole pages for more than 2 KiB; below that, power-of-two slabs carved
 * from pages, each block aligned to its own size.  A table of slab pages
 * tells dma_free which kind of block it got back. */
#define SLAB_MIN_SHIFT 6
#define SLAB_MAX_SHIFT 11
#define SLAB_CLASSES (SLAB_MAX_SHIFT - SLAB_MIN_SHIFT + 1)
#define SLAB_PAGES_MAX 1024

struct free_block { struct free_block *next; };
struct slab_page { uintptr_t page; int cls; };
static struct free_block *slab_free[SLAB_CLASSES];
static struct slab_page *slab_pages;
static unsigned n_slab_pages;

static size_t page_count(size_t size) { return (size + 4095) / 4096; }

static int slab_class(size_t size, size_t align)
{
	size_t need = size > align ? size : align;
	for (int c = 0; c < SLAB_CLASSES; c++)
		if (need <= (size_t)1 << (SLAB_MIN_SHIFT + c))
			return c;
	return -1;
}

static int slab_class_of(const void *va)
{
	uintptr_t page = (uintptr_t)va & ~(uintptr_t)4095;
	for (unsigned i = 0; i < n_slab_pages; i++)
		if (slab_pages[i].page == page)
			return slab_pages[i].cls;
	return -1;
}

static void slab_grow(int c)
{
	if (!slab_pages) {
		slab_pages = page_alloc(page_count(SLAB_PAGES_MAX * sizeof *slab_pages));
		if (!slab_pages)
			return;
	}
	if (n_slab_pages == SLAB_PAGES_MAX)
		return;
	char *page = page_alloc(1);
	if (!page)
		return;
	slab_pages[n_slab_pages++] = (struct slab_page){ (uintptr_t)page, c };
	size_t bs = (size_t)1 << (SLAB_MIN_SHIFT + c);
	for (size_t off = 0; off < 4096; off += bs) {
		struct free_block *b = (void *)(page + off);
		b->next = slab_free[c];
		slab_free[c] = b;
	}
}

static void *g_dma_alloc(void *ctx, size_t size, size_t align, uint64_t *bus)
{
	(void)ctx;
	if (!size || (align & (align - 1)) || align > 4096)
		return NULL;
	uint64_t fl = irq_save();
	void *p = NULL;
	int c = slab_class(size, align);
	if (c >= 0) {
		if (!slab_free[c])
			slab_grow(c);
		p = slab_free[c];
		if (p) {
			slab_free[c] = slab_free[c]->next;
			memset(p, 0, (size_t)1 << (SLAB_MIN_SHIFT + c));
		}
	}
	if (!p)
		p = page_alloc(page_count(size));
	irq_restore(fl);
	if (p && bus)
		*bus = (uintptr_t)p;
	return p;
}

static void g_dma_free(void *ctx, void *va, size_t size)
{
	(void)ctx;
	if (!va)
		return;
	uint64_t fl = irq_save();
	int c = slab_class_of(va);
	if (c < 0) {
		page_free(va, page_count(size));
	} else {
		struct free_block *b = va;
		b->next = slab_free[c];
		slab_free[c] = b;
	}
	irq_restore(fl);
}

static size_t g_dma_map(void *ctx, void *va, size_t len, enum vscsi_dma_dir dir, uint64_t *bus)
{
	(void)ctx;
	(void)dir;
	*bus = (uintptr_t)va;
	return len;
}

/* ---- registers ---------------------------------------------------------- */
static uint8_t g_port_read8(void *c, uint16_t p) { (void)c; return arch_port_read8(p); }
static uint16_t g_port_read16(void *c, uint16_t p) { (void)c; return arch_port_read16(p); }
static uint32_t g_port_read32(void *c, uint16_t p) { (void)c; return arch_port_read32(p); }
static void g_port_write8(void *c, uint16_t p, uint8_t v) { (void)c; arch_port_write8(p, v); }
static void g_port_write16(void *c, uint16_t p, uint16_t v) { (void)c; arch_port_write16(p, v); }
static void g_port_write32(void *c, uint16_t p, uint32_t v) { (void)c; arch_port_write32(p, v); }

static volatile void *g_mmio_map(void *ctx, uint64_t phys, size_t len)
{
	(void)ctx;
	const struct boot_info *bi = kernel_boot_info();
	/* Only what the entry's page tables map (the PVH entry: 64 GiB). */
	if (bi && bi->mapped_end && phys + len > bi->mapped_end)
		return NULL;
	return (volatile void *)(uintptr_t)phys;
}

static uint32_t g_cfg_read(void *ctx, struct vscsi_pci_addr a, uint16_t off, unsigned width)
{
	(void)ctx;
	return pci_cfg_read(a.segment, a.bus, a.dev, a.fn, off, width);
}

static void g_cfg_write(void *ctx, struct vscsi_pci_addr a, uint16_t off, unsigned width, uint32_t v)
{
	(void)ctx;
	pci_cfg_write(a.segment, a.bus, a.dev, a.fn, off, width, v);
}

/* ---- time --------------------------------------------------------------- */
static uint64_t g_clock_ns(void *ctx) { (void)ctx; return clock_ns(); }
static void g_delay_us(void *ctx, uint32_t us) { (void)ctx; delay_us(us); }

/* ---- locks: one CPU, so a lock is "interrupts off" plus a nesting check. */
struct klock { uint64_t saved_flags; int held; };

static void *g_lock_create(void *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct klock));
}

static void g_lock_acquire(void *ctx, void *lock)
{
	(void)ctx;
	struct klock *l = lock;
	uint64_t fl = irq_save();
	if (l->held)
		kpanic("vscsi: lock %p taken twice", lock);
	l->held = 1;
	l->saved_flags = fl;
}

static void g_lock_release(void *ctx, void *lock)
{
	(void)ctx;
	struct klock *l = lock;
	uint64_t fl = l->saved_flags;
	l->held = 0;
	irq_restore(fl);
}

static void g_lock_destroy(void *ctx, void *lock)
{
	(void)ctx;
	free(lock);
}

/* ---- interrupts ------------------------------------------------------------ */
static int g_irq_attach(void *ctx, struct vscsi_irq_request *req)
{
	(void)ctx;
	int r;
	if (req->kind == VSCSI_IRQ_MSI) {
		r = irq_msi_alloc(req->handler, req->arg, &req->msi_address, &req->msi_data);
	} else if (req->is_pci) {
		const struct pci_func *f = pci_lookup(req->pci.segment, req->pci.bus, req->pci.dev, req->pci.fn);
		r = f ? irq_attach_pci_intx(f, req->handler, req->arg) : -1;
	} else {
		/* virtio-mmio on microvm: level-triggered, active high. */
		r = irq_attach_gsi(req->gsi, true, false, req->handler, req->arg);
	}
	return r < 0 ? -1 : 0;
}

static void g_irq_detach(void *ctx, struct vscsi_irq_request *req)
{
	(void)ctx;
	irq_detach(req->handler, req->arg);
}

/* ---- log ------------------------------------------------------------------- */
static void g_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	/* Straight to the port: callable with interrupts off or from a
	 * handler, where newlib's stdio must not be re-entered. */
	kprintf("vscsi: %s\n", msg);
}

static struct vscsi_glue glue;

const struct vscsi_glue *kernel_glue(void)
{
	if (!glue.dma_alloc) {
		glue = (struct vscsi_glue){
			.ctx = NULL,
			.dma_alloc = g_dma_alloc,
			.dma_free = g_dma_free,
			.dma_map = g_dma_map,
			.dma_unmap = NULL,
			.pio_read8 = g_port_read8,
			.pio_read16 = g_port_read16,
			.pio_read32 = g_port_read32,
			.pio_write8 = g_port_write8,
			.pio_write16 = g_port_write16,
			.pio_write32 = g_port_write32,
			.mmio_map = g_mmio_map,
			.pci_cfg_read = g_cfg_read,
			.pci_cfg_write = g_cfg_write,
			.clock_ns = g_clock_ns,
			.delay_us = g_delay_us,
			.lock_create = g_lock_create,
			.lock_acquire = g_lock_acquire,
			.lock_release = g_lock_release,
			.lock_destroy = g_lock_destroy,
			.irq_attach = g_irq_attach,
			.irq_detach = g_irq_detach,
			.log = g_log,
			.log_level = 2,
		};
	}
	return &glue;
}

void kernel_glue_set_log_level(int level)
{
	kernel_glue();
	glue.log_level = level;
}
