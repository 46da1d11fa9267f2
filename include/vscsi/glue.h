/*
 * glue.h - the host contract: everything the vscsi driver needs from the
 * operating system that embeds it.
 *
 * drv/ calls nothing of its host except through this table.  The embedding
 * OS fills one `struct vscsi_glue` in at start-up and passes it to
 * vscsi_probe_*().  Every function receives `ctx`, the OS's own pointer.
 *
 * Locking and interrupt context.  The driver creates its locks with
 * lock_create: one per virtqueue (each request queue, the control queue,
 * the event queue) and one per controller (its LUN table, and the block
 * layer's per-device bookkeeping).  It takes them in thread context
 * (submission, vscsi_poll, the blocking calls) AND in interrupt context:
 * the handlers it registers with irq_attach drain the queues under the
 * queue's lock and run the completion callbacks, and the block layer's
 * callback takes the controller lock, which its submission path holds too.
 * Hence the rule:
 *
 *   lock_acquire MUST mask, on the CPU that takes the lock, every interrupt
 *   whose handler the driver attached, until the matching lock_release
 *   (save the interrupt state, disable interrupts, then spin: Linux's
 *   spin_lock_irqsave).  A plain spinlock deadlocks: the handler spins on a
 *   lock held by the code it interrupted, on the same CPU, for ever.
 *
 * The rule holds unchanged with several CPUs (each queue's interrupt
 * delivered to its own CPU): a handler on another CPU only waits until the
 * holder releases the lock.  Locks are not recursive (the driver never
 * takes a lock it holds); a thread may take a queue lock while it holds the
 * controller lock, never the other way round, and the driver releases a
 * queue's lock before it runs completion callbacks.  Callbacks that run in
 * interrupt context must not block or call back into vscsi_poll.
 *
 * Locks may be NULL (no lock_create) only in a host that never runs the
 * driver's interrupt handlers while another driver call is running on any
 * CPU: a polling host (no irq_attach), or one CPU that masks interrupts
 * around every driver call.  The test kernel's locks mask interrupts.
 *
 * Required: dma_alloc, dma_free, dma_map, clock_ns, delay_us, log, and the
 * register accessors of the transports the host uses (pio_* for legacy PCI,
 * pci_cfg_* for any PCI device; memory-mapped registers are reached through
 * mmio_map and plain volatile accesses).  Optional (may be NULL): dma_unmap,
 * lock_*, irq_*.
 */
#ifndef VSCSI_GLUE_H
#define VSCSI_GLUE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Direction of a DMA transfer, seen from the device. */
enum vscsi_dma_dir {
	VSCSI_DMA_TO_DEVICE = 1,   /* device reads the buffer (data-out) */
	VSCSI_DMA_FROM_DEVICE = 2, /* device writes the buffer (data-in) */
	VSCSI_DMA_BIDIRECTIONAL = 3,
};

/* A PCI function as the host names it (segment, bus, device, function). */
struct vscsi_pci_addr {
	uint16_t segment;
	uint8_t bus, dev, fn;
};

/* What the driver asks of the host when it wants an interrupt. */
enum vscsi_irq_kind {
	VSCSI_IRQ_MSI,  /* host allocates a vector and returns the MSI message */
	VSCSI_IRQ_LINE, /* host routes a line interrupt (PCI INTx or a GSI) */
};

struct vscsi_irq_request {
	enum vscsi_irq_kind kind;
	struct vscsi_pci_addr pci; /* the function raising it (LINE on PCI) */
	bool is_pci;               /* false: `gsi` names the line (virtio-mmio) */
	uint32_t gsi;              /* LINE, non-PCI: global system interrupt */
	void (*handler)(void *arg);
	void *arg;
	/* Filled in by the host for VSCSI_IRQ_MSI: the message to program. */
	uint64_t msi_address;
	uint32_t msi_data;
};

struct vscsi_glue {
	void *ctx;

	/* --- memory ------------------------------------------------------ */
	/* Zeroed, physically contiguous memory the device may access, aligned
	 * to `align` (a power of two, at most 4096).  *bus receives the address
	 * the device must use.  NULL when out of memory. */
	void *(*dma_alloc)(void *ctx, size_t size, size_t align, uint64_t *bus);
	void (*dma_free)(void *ctx, void *va, size_t size);
	/* Make caller memory [va, va+len) reachable by the device.  Returns the
	 * number of bytes (>0, <= len) that are contiguous at *bus, or 0 on
	 * failure; the driver calls again for the rest.  A host with an IOMMU
	 * or bounce buffers does its work here (and in dma_unmap, which copies
	 * bounced data-in back).  Identity hosts return len and bus = phys. */
	size_t (*dma_map)(void *ctx, void *va, size_t len, enum vscsi_dma_dir dir,
			  uint64_t *bus);
	void (*dma_unmap)(void *ctx, void *va, uint64_t bus, size_t len,
			  enum vscsi_dma_dir dir);

	/* --- registers --------------------------------------------------- */
	/* Port I/O (x86 legacy virtio-pci I/O BAR). */
	uint8_t (*pio_read8)(void *ctx, uint16_t port);
	uint16_t (*pio_read16)(void *ctx, uint16_t port);
	uint32_t (*pio_read32)(void *ctx, uint16_t port);
	void (*pio_write8)(void *ctx, uint16_t port, uint8_t v);
	void (*pio_write16)(void *ctx, uint16_t port, uint16_t v);
	void (*pio_write32)(void *ctx, uint16_t port, uint32_t v);
	/* Map device registers at physical address `phys` for `len` bytes,
	 * uncached.  Returns a CPU pointer; the driver then uses volatile loads
	 * and stores of the access width the spec demands.  NULL on failure. */
	volatile void *(*mmio_map)(void *ctx, uint64_t phys, size_t len);
	/* PCI configuration space, `off` < 4096, naturally aligned. */
	uint32_t (*pci_cfg_read)(void *ctx, struct vscsi_pci_addr pci,
				 uint16_t off, unsigned width);
	void (*pci_cfg_write)(void *ctx, struct vscsi_pci_addr pci,
			      uint16_t off, unsigned width, uint32_t v);

	/* --- time -------------------------------------------------------- */
	uint64_t (*clock_ns)(void *ctx); /* monotonic nanoseconds */
	void (*delay_us)(void *ctx, uint32_t us);

	/* --- concurrency (optional) ---------------------------------------- */
	/* Spinlocks that mask interrupts while held (see "Locking and
	 * interrupt context" above: a MUST for any host with irq_attach). */
	void *(*lock_create)(void *ctx);
	void (*lock_acquire)(void *ctx, void *lock);
	void (*lock_release)(void *ctx, void *lock);
	void (*lock_destroy)(void *ctx, void *lock);

	/* --- interrupts (optional: without them the driver polls) --------- */
	/* The handler runs in interrupt context and takes the driver's locks
	 * (which must therefore mask this interrupt, see above). */
	int (*irq_attach)(void *ctx, struct vscsi_irq_request *req);
	void (*irq_detach)(void *ctx, struct vscsi_irq_request *req);

	/* --- diagnostics --------------------------------------------------- */
	/* level: 0 error, 1 warning, 2 info, 3 debug.  `msg` is one finished
	 * line without a newline. */
	void (*log)(void *ctx, int level, const char *msg);
	int log_level; /* messages above this level are not formatted */
};

#endif
