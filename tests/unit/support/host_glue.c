/*
 * host_glue.c - the unit tests' host: see host_glue.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "support/host_glue.h"

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

static void *h_dma_alloc(void *ctx, size_t size, size_t align, uint64_t *bus)
{
	(void)ctx;
	if (ok_allocs) {
		ok_allocs--;
	} else if (fail_allocs) {
		fail_allocs--;
		return NULL;
	}
	if (align < sizeof(void *))
		align = sizeof(void *);
	size_t rounded = (size + align - 1) / align * align;
	void *p = aligned_alloc(align, rounded ? rounded : align);
	if (!p)
		return NULL;
	memset(p, 0, rounded ? rounded : align);
	*bus = (uint64_t)(uintptr_t)p;
	live_allocs++;
	return p;
}

static void h_dma_free(void *ctx, void *va, size_t size)
{
	(void)ctx;
	(void)size;
	if (va)
		live_allocs--;
	free(va);
}

static size_t h_dma_map(void *ctx, void *va, size_t len, enum vscsi_dma_dir dir, uint64_t *bus)
{
	(void)ctx;
	(void)dir;
	*bus = (uint64_t)(uintptr_t)va;
	return len;
}

static void h_dma_unmap(void *ctx, void *va, uint64_t bus, size_t len, enum vscsi_dma_dir dir)
{
	(void)ctx;
	(void)va;
	(void)bus;
	(void)len;
	(void)dir;
}

long host_glue_live_allocs(void)
{
	return live_allocs;
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
}
