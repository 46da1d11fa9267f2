/*
 * util.h - the few freestanding helpers every drv/ layer uses: byte
 * copies, formatted logging, the clock and delays through the host glue,
 * barriers, register access and locks.  Byte order is in byteorder.h
 * (included here).
 *
 * drv/ includes no libc header.  The compiler may still emit calls to
 * memcpy/memset/memmove/memcmp (a freestanding C implementation must
 * provide them, C11 §4); explicit copies use the vs_ functions below.
 */
#ifndef VSCSI_DRV_UTIL_H
#define VSCSI_DRV_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/glue.h"
#include "util/byteorder.h"

#define VS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VS_MAX(a, b) ((a) > (b) ? (a) : (b))
#define VS_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

void vs_memcpy(void *dst, const void *src, size_t n);
void vs_memset(void *dst, int c, size_t n);
int vs_memcmp(const void *a, const void *b, size_t n);
size_t vs_strlen(const char *s);
/* Copy at most n-1 bytes and terminate; returns dst. */
char *vs_strlcpy(char *dst, const char *src, size_t n);

/* A small vsnprintf: %d %i %u %x %X %o %c %s %p %% with flags '-' '0' '#',
 * width, precision for %s, and length modifiers hh h l ll z.  Always
 * terminates; returns the length it would have written. */
int vs_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int vs_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Log levels, as in glue.h. */
enum { VS_LOG_ERR = 0, VS_LOG_WARN = 1, VS_LOG_INFO = 2, VS_LOG_DEBUG = 3 };
void vs_log(const struct vscsi_glue *g, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Memory barriers for memory shared with the device (virtio 1.2 §2.7.13).
 * The device is software on a coherent CPU (no ORDER_PLATFORM), so on x86
 * only the store-load case needs a real fence; the others stop the
 * compiler from reordering. */
static inline void vs_wmb(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void vs_rmb(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void vs_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* Volatile register accessors for memory-mapped device registers. */
static inline uint8_t vs_mmio_r8(volatile void *base, uint32_t off)
{
	return *(volatile uint8_t *)((volatile uint8_t *)base + off);
}
static inline uint16_t vs_mmio_r16(volatile void *base, uint32_t off)
{
	return *(volatile uint16_t *)((volatile uint8_t *)base + off);
}
static inline uint32_t vs_mmio_r32(volatile void *base, uint32_t off)
{
	return *(volatile uint32_t *)((volatile uint8_t *)base + off);
}
static inline void vs_mmio_w8(volatile void *base, uint32_t off, uint8_t v)
{
	*(volatile uint8_t *)((volatile uint8_t *)base + off) = v;
}
static inline void vs_mmio_w16(volatile void *base, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)((volatile uint8_t *)base + off) = v;
}
static inline void vs_mmio_w32(volatile void *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)((volatile uint8_t *)base + off) = v;
}

/* The host's monotonic clock, and a delay that is skipped when the host
 * offers none (the callers spin instead). */
static inline uint64_t vs_now(const struct vscsi_glue *g)
{
	return g->clock_ns(g->ctx);
}
static inline void vs_delay_us(const struct vscsi_glue *g, uint32_t us)
{
	if (g->delay_us)
		g->delay_us(g->ctx, us);
}

/* Lock helpers that tolerate a host without locks. */
static inline void *vs_lock_create(const struct vscsi_glue *g)
{
	return g->lock_create ? g->lock_create(g->ctx) : NULL;
}
static inline void vs_lock(const struct vscsi_glue *g, void *l)
{
	if (l && g->lock_acquire)
		g->lock_acquire(g->ctx, l);
}
static inline void vs_unlock(const struct vscsi_glue *g, void *l)
{
	if (l && g->lock_release)
		g->lock_release(g->ctx, l);
}

#endif
