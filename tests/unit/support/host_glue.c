/*
 * host_glue.c - the unit tests' host: see host_glue.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "support/host_glue.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_KEEP 64
#define LOG_LINE 256
#define MAX_IRQS 256

static struct {
	char lines[LOG_KEEP][LOG_LINE];
	unsigned next; /* total lines since reset */
	unsigned count[4];
	int print_level;
} logs;

static long live_allocs;
static unsigned ok_allocs, fail_allocs;

static struct {
	struct vscsi_irq_request *req[MAX_IRQS];
	unsigned n;
	unsigned fail;
	uint32_t next_data;
} irqs;

/* --- memory -------------------------------------------------------------- */

/* Every live dma_alloc with the size it was asked for: dma_free must name
 * a live allocation and give that same size back (a host allocator that
 * sizes its pages from the argument would leak or corrupt otherwise). */
struct alloc_rec {
	void *va;
	size_t size;
};
static struct alloc_rec *allocs;
static size_t nallocs, allocs_cap;
static size_t live_bytes;
static unsigned long total_frees;

/* Live data mappings (dma_map pieces not yet unmapped). */
struct map_rec {
	void *va;
	uint64_t bus;
	size_t len;
	enum vscsi_dma_dir dir;
};
static struct map_rec *maps;
static size_t nmaps, maps_cap;
static unsigned long map_calls;
static size_t dma_boundary; /* 0: dma_map maps everything asked */

static void glue_abort(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void glue_abort(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "[host glue] contract violation: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static void *grow(void *arr, size_t *cap, size_t elem)
{
	size_t n = *cap ? *cap * 2 : 64;
	void *p = realloc(arr, n * elem);
	if (!p)
		glue_abort("out of host memory");
	*cap = n;
	return p;
}

static void *h_dma_alloc(void *ctx, size_t size, size_t align, uint64_t *bus)
{
	(void)ctx;
	if (ok_allocs) {
		ok_allocs--;
	} else if (fail_allocs) {
		fail_allocs--;
		return NULL;
	}
	if (align == 0 || (align & (align - 1)) || align > 4096)
		glue_abort("dma_alloc alignment %zu (a power of two up to 4096)", align);
	if (align < sizeof(void *))
		align = sizeof(void *);
	size_t rounded = (size + align - 1) / align * align;
	void *p = aligned_alloc(align, rounded ? rounded : align);
	if (!p)
		return NULL;
	memset(p, 0, rounded ? rounded : align);
	*bus = (uint64_t)(uintptr_t)p;
	if (nallocs == allocs_cap)
		allocs = grow(allocs, &allocs_cap, sizeof(*allocs));
	allocs[nallocs++] = (struct alloc_rec){ p, size };
	live_bytes += size;
	live_allocs++;
	return p;
}

static void h_dma_free(void *ctx, void *va, size_t size)
{
	(void)ctx;
	if (!va)
		return;
	for (size_t i = nallocs; i-- > 0;) {
		if (allocs[i].va != va)
			continue;
		if (allocs[i].size != size)
			glue_abort("dma_free(%p, %zu) of an allocation of %zu bytes", va, size,
				   allocs[i].size);
		live_bytes -= size;
		allocs[i] = allocs[--nallocs];
		live_allocs--;
		total_frees++;
		free(va);
		return;
	}
	glue_abort("dma_free(%p, %zu) of memory dma_alloc did not return (or freed twice)", va,
		   size);
}

static size_t h_dma_map(void *ctx, void *va, size_t len, enum vscsi_dma_dir dir, uint64_t *bus)
{
	(void)ctx;
	if (!va || !len)
		glue_abort("dma_map(%p, %zu)", va, len);
	size_t n = len;
	if (dma_boundary) {
		/* Like an IOMMU mapping page by page, or a bounce pool of pages:
		 * no more than the rest of the page `va` is in. */
		size_t room = dma_boundary - (size_t)((uintptr_t)va % dma_boundary);
		if (n > room)
			n = room;
	}
	*bus = (uint64_t)(uintptr_t)va;
	map_calls++;
	if (nmaps == maps_cap)
		maps = grow(maps, &maps_cap, sizeof(*maps));
	maps[nmaps++] = (struct map_rec){ va, *bus, n, dir };
	return n;
}

static void h_dma_unmap(void *ctx, void *va, uint64_t bus, size_t len, enum vscsi_dma_dir dir)
{
	(void)ctx;
	for (size_t i = nmaps; i-- > 0;) {
		struct map_rec *m = &maps[i];
		if (m->va == va && m->bus == bus && m->len == len && m->dir == dir) {
			*m = maps[--nmaps];
			return;
		}
	}
	glue_abort("dma_unmap(%p, bus %#llx, %zu, dir %d) of nothing dma_map returned", va,
		   (unsigned long long)bus, len, (int)dir);
}

long host_glue_live_allocs(void)
{
	return live_allocs;
}

size_t host_glue_live_bytes(void)
{
	return live_bytes;
}

unsigned long host_glue_frees(void)
{
	return total_frees;
}

bool host_glue_dma_live(uint64_t addr)
{
	for (size_t i = 0; i < nallocs; i++) {
		uint64_t a = (uint64_t)(uintptr_t)allocs[i].va;
		if (addr >= a && addr < a + (allocs[i].size ? allocs[i].size : 1))
			return true;
	}
	return false;
}

void host_glue_dma_split(size_t boundary)
{
	if (boundary & (boundary - 1))
		glue_abort("host_glue_dma_split(%zu): not a power of two", boundary);
	dma_boundary = boundary;
}

unsigned long host_glue_map_calls(void)
{
	return map_calls;
}

size_t host_glue_live_maps(void)
{
	return nmaps;
}

void host_glue_fail_allocs(unsigned n)
{
	host_glue_fail_after(0, n);
}

void host_glue_fail_after(unsigned ok, unsigned n)
{
	ok_allocs = n ? ok : 0;
	fail_allocs = n;
}

/* --- time ------------------------------------------------------------------ */

static uint64_t h_clock_ns(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void h_delay_us(void *ctx, uint32_t us)
{
	(void)ctx;
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* --- log ----------------------------------------------------------------------- */

static void h_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level >= 0 && level < 4)
		logs.count[level]++;
	snprintf(logs.lines[logs.next % LOG_KEEP], LOG_LINE, "%s", msg);
	logs.next++;
	if (level <= logs.print_level) {
		static const char *const names[] = { "error", "warn", "info", "debug" };
		fprintf(stderr, "[vscsi %s] %s\n", level >= 0 && level < 4 ? names[level] : "?", msg);
	}
}

unsigned host_glue_log_count(int level)
{
	return level >= 0 && level < 4 ? logs.count[level] : 0;
}

bool host_glue_log_contains(const char *needle)
{
	unsigned n = logs.next < LOG_KEEP ? logs.next : LOG_KEEP;
	for (unsigned i = 0; i < n; i++)
		if (strstr(logs.lines[(logs.next - 1 - i) % LOG_KEEP], needle))
			return true;
	return false;
}

const char *host_glue_last_log(void)
{
	return logs.next ? logs.lines[(logs.next - 1) % LOG_KEEP] : "";
}

void host_glue_log_reset(void)
{
	int keep = logs.print_level;
	memset(&logs, 0, sizeof(logs));
	logs.print_level = keep;
}

/* --- locks and interrupt context ----------------------------------------------
 *
 * One simulated CPU.  The contract (glue.h) says a lock the driver may take
 * in interrupt context must mask that interrupt on the CPU that holds it:
 * these locks do (by default), so an interrupt raised while one is held
 * (host_glue_irq_raise) is kept pending and delivered when the last lock
 * is released, as an interrupt controller would.  With plain locks
 * (host_glue_plain_locks(true), a host that ignores the rule) the
 * interrupt runs at once, and a lock its handler takes while thread
 * context holds it is recorded as the deadlock it would be on real
 * hardware (the handler would spin for ever).  A lock taken twice by the
 * same context is a self-deadlock whatever the mode: the test aborts. */

struct hlock {
	bool held;
	bool held_in_irq;        /* the holder is interrupt context */
	unsigned taken_in_irq;   /* acquisitions from interrupt context */
	unsigned phantom;        /* plain locks: deadlocked acquisitions let through */
};

static struct {
	bool plain;              /* locks do not mask interrupts */
	unsigned mask_depth;     /* locks held that mask interrupts */
	unsigned irq_depth;      /* > 0: running an interrupt handler */
	unsigned pending[MAX_IRQS];
	unsigned npending;
	unsigned long deferred, delivered, violations, irq_acquires;
	char last_violation[200];
} cpu;

static void deliver(unsigned i);

/* Unmasked and outside any handler: what arrived meanwhile runs now. */
static void deliver_pending(void)
{
	while (cpu.npending && cpu.mask_depth == 0 && cpu.irq_depth == 0) {
		unsigned i = cpu.pending[0];
		memmove(cpu.pending, cpu.pending + 1, --cpu.npending * sizeof(cpu.pending[0]));
		deliver(i);
	}
}

static void *h_lock_create(void *ctx)
{
	(void)ctx;
	struct hlock *l = calloc(1, sizeof(*l));
	if (!l)
		glue_abort("out of host memory");
	return l;
}

static void h_lock_destroy(void *ctx, void *lock)
{
	(void)ctx;
	struct hlock *l = lock;
	if (l->held)
		glue_abort("lock %p destroyed while held", lock);
	free(l);
}

static void h_lock_acquire(void *ctx, void *lock)
{
	(void)ctx;
	struct hlock *l = lock;
	bool in_irq = cpu.irq_depth > 0;
	if (in_irq) {
		l->taken_in_irq++;
		cpu.irq_acquires++;
	}
	if (l->held) {
		if (in_irq && !l->held_in_irq) {
			/* Plain locks only: with masking ones the interrupt
			 * could not have run. */
			cpu.violations++;
			snprintf(cpu.last_violation, sizeof(cpu.last_violation),
				 "lock %p taken in interrupt context while thread context holds it "
				 "on the same CPU: deadlock", lock);
			fprintf(stderr, "[host glue] %s\n", cpu.last_violation);
			l->phantom++;
			return; /* carry on as if it had been free: the test looks at the count */
		}
		glue_abort("lock %p taken twice by the same context (self-deadlock)", lock);
	}
	l->held = true;
	l->held_in_irq = in_irq;
	if (!cpu.plain)
		cpu.mask_depth++;
}

static void h_lock_release(void *ctx, void *lock)
{
	(void)ctx;
	struct hlock *l = lock;
	if (!l->held && l->phantom) {
		l->phantom--;
		return;
	}
	if (!l->held)
		glue_abort("lock %p released while not held", lock);
	l->held = false;
	if (cpu.plain)
		return;
	if (cpu.mask_depth == 0)
		glue_abort("interrupt mask depth underflow");
	--cpu.mask_depth;
	deliver_pending();
}

void host_glue_plain_locks(bool plain)
{
	cpu.plain = plain;
}

unsigned long host_glue_lock_violations(void)
{
	return cpu.violations;
}

unsigned long host_glue_irqs_deferred(void)
{
	return cpu.deferred;
}

unsigned long host_glue_irqs_delivered(void)
{
	return cpu.delivered;
}

unsigned long host_glue_irq_lock_acquires(void)
{
	return cpu.irq_acquires;
}

/* --- interrupts -------------------------------------------------------------- */

static int h_irq_attach(void *ctx, struct vscsi_irq_request *req)
{
	(void)ctx;
	if (irqs.fail) {
		irqs.fail--;
		return -1;
	}
	if (irqs.n == MAX_IRQS)
		return -1;
	if (req->kind == VSCSI_IRQ_MSI) {
		req->msi_address = 0xfee00000ull;
		req->msi_data = irqs.next_data++;
	}
	irqs.req[irqs.n++] = req;
	return 0;
}

static void h_irq_detach(void *ctx, struct vscsi_irq_request *req)
{
	(void)ctx;
	for (unsigned i = 0; i < irqs.n; i++) {
		if (irqs.req[i] == req) {
			memmove(&irqs.req[i], &irqs.req[i + 1], (irqs.n - i - 1) * sizeof(irqs.req[0]));
			irqs.n--;
			return;
		}
	}
}

void host_glue_enable_irqs(struct vscsi_glue *g, bool on)
{
	g->irq_attach = on ? h_irq_attach : NULL;
	g->irq_detach = on ? h_irq_detach : NULL;
}

void host_glue_irq_fail(unsigned n)
{
	irqs.fail = n;
}

unsigned host_glue_irq_count(void)
{
	return irqs.n;
}

const struct vscsi_irq_request *host_glue_irq(unsigned i)
{
	return i < irqs.n ? irqs.req[i] : NULL;
}

static void deliver(unsigned i)
{
	if (i >= irqs.n)
		return; /* detached meanwhile */
	cpu.delivered++;
	cpu.irq_depth++;
	irqs.req[i]->handler(irqs.req[i]->arg);
	cpu.irq_depth--;
	deliver_pending();
}

bool host_glue_irq_raise(unsigned i)
{
	if (i >= irqs.n)
		return false;
	if (cpu.irq_depth || cpu.mask_depth) {
		/* Masked by a lock, or a handler is running (one at a time on
		 * this CPU): pending until then; one pending delivery covers
		 * any number of raises, as with an edge-triggered line. */
		if (cpu.mask_depth)
			cpu.deferred++;
		for (unsigned k = 0; k < cpu.npending; k++)
			if (cpu.pending[k] == i)
				return true;
		cpu.pending[cpu.npending++] = i;
		return true;
	}
	deliver(i);
	return true;
}

bool host_glue_irq_fire(unsigned i)
{
	if (i >= irqs.n)
		return false;
	irqs.req[i]->handler(irqs.req[i]->arg);
	return true;
}

bool host_glue_msi_fire(uint32_t data)
{
	for (unsigned i = 0; i < irqs.n; i++) {
		if (irqs.req[i]->kind == VSCSI_IRQ_MSI && irqs.req[i]->msi_data == data) {
			irqs.req[i]->handler(irqs.req[i]->arg);
			return true;
		}
	}
	return false;
}

/* --- the table ----------------------------------------------------------------- */

void host_glue_init(struct vscsi_glue *g)
{
	memset(g, 0, sizeof(*g));
	g->dma_alloc = h_dma_alloc;
	g->dma_free = h_dma_free;
	g->dma_map = h_dma_map;
	g->dma_unmap = h_dma_unmap;
	g->clock_ns = h_clock_ns;
	g->delay_us = h_delay_us;
	g->log = h_log;
	g->log_level = 3;
	const char *env = getenv("VSCSI_TEST_LOG");
	host_glue_log_reset();
	logs.print_level = env ? atoi(env) : 1;
	memset(&irqs, 0, sizeof(irqs));
	irqs.next_data = 0x40;
	memset(&cpu, 0, sizeof(cpu));
	g->lock_create = h_lock_create;
	g->lock_acquire = h_lock_acquire;
	g->lock_release = h_lock_release;
	g->lock_destroy = h_lock_destroy;
	dma_boundary = 0;
	map_calls = 0;
}
