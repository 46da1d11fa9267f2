/*
 * glue.h - the host contract: everything the vscsi driver needs from the
 * operating system that embeds it.
 *
 * drv/ calls nothing of its host except through this table.  The embedding
 * OS fills one `struct vscsi_glue` in at start-up and passes it to
 * vscsi_probe_*().  Every function receives `ctx`, the OS's own pointer.
 *
 * Threading: the driver takes `lock_acquire` around each virtqueue and around
 * controller-wide state.  Locks may be NULL in a single-threaded host; then
 * the host must not call the driver from interrupt context while another
 * driver call is running (the test kernel polls or masks interrupts).
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
	void *(*lock_create)(void *ctx);
	void (*lock_acquire)(void *ctx, void *lock);
	void (*lock_release)(void *ctx, void *lock);
	void (*lock_destroy)(void *ctx, void *lock);

	/* --- interrupts (optional: without them the driver polls) --------- */
	int (*irq_attach)(void *ctx, struct vscsi_irq_request *req);
	void (*irq_detach)(void *ctx, struct vscsi_irq_request *req);

	/* --- diagnostics --------------------------------------------------- */
	/* level: 0 error, 1 warning, 2 info, 3 debug.  `msg` is one finished
	 * line without a newline. */
	void (*log)(void *ctx, int level, const char *msg);
	int log_level; /* messages above this level are not formatted */
};

#endif
