/*
 * host_glue.h - a `struct vscsi_glue` for Linux-hosted unit tests.
 *
 * Memory comes from aligned_alloc (bus address == virtual address) and is
 * checked: dma_free must name a live allocation with the size it was
 * allocated with, dma_unmap must undo exactly one dma_map piece (both
 * abort the test otherwise).  DMA mapping is the identity, optionally
 * split at page boundaries (host_glue_dma_split: an IOMMU or bounce map
 * returns less than asked).  The clock is CLOCK_MONOTONIC, log lines go to
 * stderr (VSCSI_TEST_LOG=<level> prints up to that level; default 1 =
 * errors and warnings) and are also kept so that tests can look for them.
 * Interrupts are optional and fake: host_glue_enable_irqs() installs an
 * irq_attach that records requests (MSI: address 0xfee00000, data = the
 * request's index) so a test can fire them with host_glue_irq_fire(), or
 * raise them as a device would with host_glue_irq_raise().  Locks are
 * real enough to catch deadlocks (see "locks" below).
 *
 * State is global: one glue per test process (tests run one at a time).
 */
#ifndef VSCSI_TESTS_HOST_GLUE_H
#define VSCSI_TESTS_HOST_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/glue.h"

/* Fill `g` with the host functions and reset the recorded state (logs,
 * interrupts).  Allocation counters are not reset. */
void host_glue_init(struct vscsi_glue *g);

/* --- log capture ------------------------------------------------------ */
/* Number of lines logged at `level` since the last reset. */
unsigned host_glue_log_count(int level);
/* True if any line since the last reset contains `needle`. */
bool host_glue_log_contains(const char *needle);
const char *host_glue_last_log(void);
void host_glue_log_reset(void);

/* --- memory ---------------------------------------------------------- */
/* DMA allocations not yet freed (for leak checks around a test), and
 * their bytes (the sizes asked for). */
long host_glue_live_allocs(void);
size_t host_glue_live_bytes(void);
/* dma_free calls so far (never reset). */
unsigned long host_glue_frees(void);
/* True if `addr` lies in memory dma_alloc returned and dma_free has not
 * taken back (ring memory kept after a failed reset, say). */
bool host_glue_dma_live(uint64_t addr);
/* dma_map returns at most the bytes up to the next multiple of `boundary`
 * (a power of two, e.g. 4096; 0: everything asked, the default after
 * host_glue_init). */
void host_glue_dma_split(size_t boundary);
/* dma_map calls since host_glue_init, and pieces mapped and not unmapped. */
unsigned long host_glue_map_calls(void);
size_t host_glue_live_maps(void);
/* Make the next `n` dma_alloc calls fail (0: none). */
void host_glue_fail_allocs(unsigned n);
/* Let `ok` more dma_alloc calls succeed, then fail the `n` after them. */
void host_glue_fail_after(unsigned ok, unsigned n);

/* --- locks ------------------------------------------------------------- */
/* The glue's locks model one CPU: they mask interrupts while held (the
 * contract of glue.h), and abort the test when one is taken twice by the
 * same context.  host_glue_plain_locks(true) makes them plain spinlocks
 * (no masking) to show what breaks without the rule: an interrupt handler
 * that takes a lock thread context holds is counted as a deadlock. */
void host_glue_plain_locks(bool plain);
unsigned long host_glue_lock_violations(void);
/* Interrupts raised while a lock masked them (delivered at release), all
 * interrupts delivered, and lock acquisitions made in interrupt context. */
unsigned long host_glue_irqs_deferred(void);
unsigned long host_glue_irqs_delivered(void);
unsigned long host_glue_irq_lock_acquires(void);

/* --- fake interrupts ---------------------------------------------------- */
/* Install (true) or remove (false) irq_attach/irq_detach. */
void host_glue_enable_irqs(struct vscsi_glue *g, bool on);
/* Make irq_attach fail for the next `n` calls. */
void host_glue_irq_fail(unsigned n);
/* Requests currently attached. */
unsigned host_glue_irq_count(void);
const struct vscsi_irq_request *host_glue_irq(unsigned i);
/* The device raises attached request `i`: its handler runs now (in
 * interrupt context), or when the locks that mask it are released. */
bool host_glue_irq_raise(unsigned i);
/* Run the handler of attached request `i` at once, whatever is held (a
 * test that plays the CPU itself).  false if there is none. */
bool host_glue_irq_fire(unsigned i);
/* Run the handler of the attached MSI request whose data is `data`. */
bool host_glue_msi_fire(uint32_t data);

#endif
