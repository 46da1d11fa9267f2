/*
 * host_glue.h - a `struct vscsi_glue` for Linux-hosted unit tests.
 *
 * Memory comes from aligned_alloc (bus address == virtual address), DMA
 * mapping is the identity, the clock is CLOCK_MONOTONIC, log lines go to
 * stderr (VSCSI_TEST_LOG=<level> prints up to that level; default 1 =
 * errors and warnings) and are also kept so that tests can look for them.
 * Interrupts are optional and fake: host_glue_enable_irqs() installs an
 * irq_attach that records requests (MSI: address 0xfee00000, data = the
 * request's index) so a test can fire them with host_glue_irq_fire().
 *
 * State is global: one glue per test process (tests run one at a time).
 */
#ifndef VSCSI_TESTS_HOST_GLUE_H
#define VSCSI_TESTS_HOST_GLUE_H

#include <stdbool.h>
#include <stddef.h>
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
/* DMA allocations not yet freed (for leak checks around a test). */
long host_glue_live_allocs(void);
/* Make the next `n` dma_alloc calls fail (0: none). */
void host_glue_fail_allocs(unsigned n);
/* Let `ok` more dma_alloc calls succeed, then fail the `n` after them. */
void host_glue_fail_after(unsigned ok, unsigned n);

/* --- fake interrupts ---------------------------------------------------- */
/* Install (true) or remove (false) irq_attach/irq_detach. */
void host_glue_enable_irqs(struct vscsi_glue *g, bool on);
/* Make irq_attach fail for the next `n` calls. */
void host_glue_irq_fail(unsigned n);
/* Requests currently attached. */
unsigned host_glue_irq_count(void);
const struct vscsi_irq_request *host_glue_irq(unsigned i);
/* Run the handler of attached request `i`.  false if there is none. */
bool host_glue_irq_fire(unsigned i);
/* Run the handler of the attached MSI request whose data is `data`. */
bool host_glue_msi_fire(uint32_t data);

#endif
