/*
 * virtio.h - the virtio layer's interface to the layers above it.
 *
 * Layering (one way): transports (pci_modern.c, pci_legacy.c, mmio.c) sit
 * behind `struct virtio_transport_ops`; device.c runs the one device
 * initialisation sequence of virtio 1.2 §3.1.1 over any of them; split.c
 * and packed.c implement one virtqueue API.  Nothing here knows SCSI.
 *
 * Virtqueues are not locked internally: the caller (the device driver above) serialises
 * all calls on one queue with its own per-queue lock.
 */
#ifndef VSCSI_DRV_VIRTIO_H
#define VSCSI_DRV_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/glue.h"

/* Device status bits, virtio 1.2 §2.1. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Device-independent feature bits, virtio 1.2 §6. */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VIRTIO_F_ANY_LAYOUT 27
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_RING_RESET 40
#define VIRTIO_BIT(n) (1ull << (n))

#define VIRTIO_NO_VECTOR 0xffffu

/* How completions reach the driver. */
enum virtio_intr_mode {
	VIRTIO_INTR_AUTO = 0, /* MSI-X if the host and device can, else INTx */
	VIRTIO_INTR_MSIX,     /* one vector per queue plus one for config */
	VIRTIO_INTR_INTX,     /* shared line, ISR read to acknowledge */
	VIRTIO_INTR_POLL,     /* no interrupts at all: callers poll */
};

enum virtio_transport_kind {
	VIRTIO_TRANSPORT_PCI_MODERN,
	VIRTIO_TRANSPORT_PCI_LEGACY,
	VIRTIO_TRANSPORT_MMIO,
};

struct virtio_device;
struct virtqueue;

/*
 * One transport: register access for one device.  Each implementation
 * hides its own layout (capability structures, the legacy I/O header, the
 * MMIO register file) and its endianness; callers see host-order values.
 */
struct virtio_transport_ops {
	const char *name; /* "pci-modern", "pci-legacy", "mmio-v1", "mmio-v2" */
	uint8_t (*get_status)(struct virtio_device *dev);
	void (*set_status)(struct virtio_device *dev, uint8_t status);
	/* Writes 0 and waits until the device reads back 0 (virtio 1.2 §4.1.4.3.2). */
	int (*reset)(struct virtio_device *dev);
	uint64_t (*get_features)(struct virtio_device *dev);
	void (*set_features)(struct virtio_device *dev, uint64_t features);
	/* Device-specific config, width 1, 2 or 4 bytes, host order. */
	uint32_t (*config_read)(struct virtio_device *dev, uint32_t off, unsigned width);
	void (*config_write)(struct virtio_device *dev, uint32_t off, unsigned width, uint32_t v);
	/* config_generation (virtio 1.2 §2.5.1); transports without one return 0. */
	uint32_t (*config_generation)(struct virtio_device *dev);
	uint16_t (*queue_count)(struct virtio_device *dev); /* 0 if unknown */
	/* Largest size of queue `idx`, 0 if the queue does not exist. */
	uint16_t (*queue_max_size)(struct virtio_device *dev, uint16_t idx);
	/* Program queue `idx` with `size` entries and the three areas (bus
	 * addresses) and enable it.  `vector` is its MSI-X entry or
	 * VIRTIO_NO_VECTOR.  Returns 0 or a negative VSCSI_E* code;
	 * -VSCSI_EIO means exactly "the device read the vector back as
	 * NO_VECTOR" (the caller then falls back to another interrupt mode). */
	int (*queue_setup)(struct virtio_device *dev, uint16_t idx, uint16_t size,
			   uint64_t desc, uint64_t driver, uint64_t device, uint16_t vector);
	void (*queue_notify)(struct virtio_device *dev, struct virtqueue *vq);
	uint8_t (*isr_read)(struct virtio_device *dev); /* read-to-clear */
	/* Route config changes to MSI-X entry `vector`; 0 or -VSCSI_EIO when
	 * the device read back NO_VECTOR. */
	int (*set_config_vector)(struct virtio_device *dev, uint16_t vector);
	/* Enable/disable the MSI-X capability (PCI only; NULL elsewhere). */
	int (*msix_setup)(struct virtio_device *dev, unsigned nvectors,
			  const uint64_t *addr, const uint32_t *data);
	void (*msix_disable)(struct virtio_device *dev);
	unsigned (*msix_table_size)(struct virtio_device *dev); /* 0: none */
	/* Stop the device's DMA for good when a reset does not complete: on
	 * PCI, clear Bus Master Enable in the command register (PCI Local Bus
	 * 3.0 §6.2.2: a function with it clear issues no memory requests).
	 * true when done; NULL or false where the transport has no such
	 * switch (virtio-mmio). */
	bool (*stop_dma)(struct virtio_device *dev);
	/* The virtio 0.9.5 ("legacy") interface: no FEATURES_OK step, 32
	 * feature bits, guest-endian fields, contiguous 4096-aligned rings,
	 * used.len not trusted.  (pci-legacy, mmio-v1) */
	bool legacy;
	/* The queue size cannot be lowered: rings take the device's size
	 * (legacy PCI). */
	bool fixed_queue_size;
};

/* Called (from interrupt context or from a poller) when `vq` may have
 * used buffers. */
typedef void (*virtq_callback)(struct virtqueue *vq, void *arg);

/* One queue the driver wants. */
struct virtq_request {
	uint16_t max_size; /* 0: the device's maximum (legacy PCI: always it) */
	virtq_callback callback;
	void *arg;
	/* Entries per indirect table when INDIRECT_DESC is negotiated (one
	 * table per ring slot, preallocated: size x indirect_max x 16 bytes):
	 * 0 = 256, 1 = no tables; capped at the queue size.  Longer chains
	 * fall back to direct descriptors.  Queues with short chains (control,
	 * event) should ask for little. */
	uint16_t indirect_max;
};

/* Options the embedding OS chooses at probe time. */
struct virtio_open_opts {
	enum virtio_intr_mode intr;
	bool prefer_legacy;     /* drive a transitional device through BAR0 */
	uint64_t feature_veto;  /* bits the driver must not accept */
};

/* --- discovery and the initialisation sequence (device.c) ------------- */

/* Attach to a virtio PCI function: modern capabilities unless the device
 * has none or opts->prefer_legacy asks for the I/O BAR. */
int virtio_pci_open(const struct vscsi_glue *glue, struct vscsi_pci_addr pci,
		    const struct virtio_open_opts *opts, struct virtio_device **out);
/* Attach to a virtio-mmio register window (version 1 or 2).  `gsi` is
 * the interrupt line (VSCSI_IRQ_LINE with is_pci false). */
int virtio_mmio_open(const struct vscsi_glue *glue, uint64_t phys, uint32_t gsi,
		     const struct virtio_open_opts *opts, struct virtio_device **out);
/* The virtio device ID (8 for SCSI) the transport reported. */
uint32_t virtio_device_id(const struct virtio_device *dev);

/* Steps 1-6 of virtio 1.2 §3.1.1: reset, ACKNOWLEDGE, DRIVER, negotiate `wanted` with
 * what the device offers (minus the veto; VERSION_1 required on modern,
 * ACCESS_PLATFORM accepted whenever offered), FEATURES_OK and read-back.
 * Returns 0 with the result in virtio_features(), or -VSCSI_EIO with
 * FAILED set. */
int virtio_negotiate(struct virtio_device *dev, uint64_t wanted);
uint64_t virtio_offered_features(const struct virtio_device *dev);
uint64_t virtio_features(const struct virtio_device *dev);
static inline bool virtio_has(const struct virtio_device *dev, unsigned bit)
{
	return (virtio_features(dev) >> bit) & 1;
}

/* Device config reads that are consistent across config_generation.
 * Fields are read with their natural width (aligned 4-byte pieces where
 * possible) and stored into buf in little-endian byte order, whatever the
 * transport (legacy guest-endian values are converted).  0, or
 * -VSCSI_EPROTO when the generation never settles. */
int virtio_config_read(struct virtio_device *dev, uint32_t off, void *buf, uint32_t len);
void virtio_config_write32(struct virtio_device *dev, uint32_t off, uint32_t v);

/* Step 7: create `n` queues (index 0..n-1), set up interrupts as the open
 * options asked (falling back MSI-X -> INTx -> polling), and enable them. */
int virtio_queues_create(struct virtio_device *dev, unsigned n,
			 const struct virtq_request *req);
/* Step 8: DRIVER_OK; then sends the notifications for buffers that were
 * kicked before it (they were published, not announced). */
void virtio_driver_ok(struct virtio_device *dev);
/* Config-change callback (also how NEEDS_RESET is reported). */
void virtio_set_config_callback(struct virtio_device *dev,
				void (*cb)(struct virtio_device *, void *), void *arg);

/* Full reset: status 0 and wait; afterwards no buffer is owned by the
 * device.  Queues keep their memory; virtq_reclaim() returns the cookies
 * that were outstanding, once each, and the queues are re-armed by
 * virtio_reinit(), which repeats the whole sequence with the same
 * features and queues, up to and including DRIVER_OK (so config writes
 * such as cdb_size come after it, and event buffers are re-posted after
 * it).  A reset that does not complete returns -VSCSI_ETIMEDOUT and the
 * queues stay owned by the device (reclaim refuses). */
int virtio_reset(struct virtio_device *dev);
int virtio_reinit(struct virtio_device *dev);
/* After a reset that did not complete: turn the device's DMA off for good
 * (the transport's stop_dma: PCI Bus Master Enable).  true when the device
 * can no longer reach memory; false where the transport has no switch
 * (virtio-mmio).  Logged either way. */
bool virtio_stop_dma(struct virtio_device *dev);
bool virtio_dma_stopped(const struct virtio_device *dev);
/* Reset and free everything: 0.  When the reset does not complete, the
 * memory the device may still write (rings, indirect tables) is kept,
 * never freed, DMA is stopped where possible, everything else is freed,
 * and -VSCSI_ETIMEDOUT tells the caller to keep its own DMA memory too. */
int virtio_close(struct virtio_device *dev);

uint8_t virtio_status(struct virtio_device *dev);
bool virtio_needs_reset(struct virtio_device *dev);
/* Service an interrupt-less device: check ISR/config and run callbacks of
 * every queue that has used buffers.  Safe to call at any time. */
void virtio_poll(struct virtio_device *dev);

enum virtio_transport_kind virtio_transport(const struct virtio_device *dev);
const char *virtio_transport_name(const struct virtio_device *dev);
enum virtio_intr_mode virtio_intr_mode(const struct virtio_device *dev);
unsigned virtio_queue_count(const struct virtio_device *dev); /* queues created */
/* Queues the device has (at most `max`), before any is created. */
unsigned virtio_device_queue_count(struct virtio_device *dev, unsigned max);
struct virtqueue *virtio_queue(struct virtio_device *dev, unsigned idx);
const struct vscsi_glue *virtio_glue(const struct virtio_device *dev);
/* Location for messages: "0000:00:03.0" or "mmio@0xfeb02e00". */
const char *virtio_location(const struct virtio_device *dev);

/* --- virtqueues (split.c, packed.c behind one API) ------------------- */

/* One device-visible buffer: a bus address and a length (> 0). */
struct virtq_buf {
	uint64_t addr;
	uint32_t len;
};

/*
 * Queue a chain: `n_out` device-readable buffers followed by `n_in`
 * device-writable ones, returned later with `cookie` (non-NULL).  Uses one
 * indirect descriptor when negotiated and the chain has more than one
 * buffer.  Nothing is visible to the device until virtq_kick().
 * Returns 0, -VSCSI_ENOSPC (no room now), -VSCSI_EINVAL (empty chain, zero
 * length, longer than the queue allows), -VSCSI_EPROTO (queue broken) or
 * -VSCSI_ENODEV (the device was reset: reclaim, then virtio_reinit).
 */
int virtq_add(struct virtqueue *vq, const struct virtq_buf *out, unsigned n_out,
	      const struct virtq_buf *in, unsigned n_in, void *cookie);
/* Publish everything added since the last kick and notify the device
 * unless it asked not to be (EVENT_IDX avail_event, or NO_NOTIFY).
 * Returns true when a notification was sent. */
bool virtq_kick(struct virtqueue *vq);
/*
 * Take one used chain: 1 with *cookie and *len (bytes the device claims it
 * wrote, never more than the chain's writable size), 0 when none is
 * pending, -VSCSI_EPROTO when the device wrote something impossible
 * (unknown or duplicate id, used.idx beyond what is in flight, a length
 * beyond the writable buffers); the queue is then marked broken and the
 * fault logged; a full reset recovers it.  On the legacy interfaces an
 * over-long length is clamped instead (the spec tells drivers to ignore
 * used.len there), so callers should not trust it on legacy.
 */
int virtq_get(struct virtqueue *vq, void **cookie, uint32_t *len);
/* Ask for (true) or suppress (false) used-buffer notifications.  Enabling
 * returns true if buffers became used meanwhile (drain again: virtio 1.2 §2.7.14). */
bool virtq_enable_cb(struct virtqueue *vq);
void virtq_disable_cb(struct virtqueue *vq);
/* True when virtq_get() would return something (a cheap peek at the
 * ring; may race benignly with a concurrent virtq_get). */
bool virtq_has_used(struct virtqueue *vq);
/* After virtio_reset(): hand every outstanding cookie to fn once, and
 * return the queue to its empty state.  Refused (logged, nothing done)
 * while the device still owns the ring. */
void virtq_reclaim(struct virtqueue *vq, void (*fn)(void *cookie, void *arg), void *arg);

uint16_t virtq_size(const struct virtqueue *vq);
/* Free descriptors: the number of chains that fit now when each takes one
 * descriptor (any chain that goes indirect, or a single buffer); a direct
 * chain of k buffers takes k. */
unsigned virtq_free_count(const struct virtqueue *vq);
unsigned virtq_index(const struct virtqueue *vq);
bool virtq_is_packed(const struct virtqueue *vq);
bool virtq_is_broken(const struct virtqueue *vq);
unsigned virtq_max_chain(const struct virtqueue *vq); /* longest chain accepted */
/* Longest chain that takes a single descriptor (0: no indirect). */
unsigned virtq_indirect_max(const struct virtqueue *vq);
/* Counters for `virtio` and `make bench`. */
struct virtq_stats {
	uint64_t added, used, kicks, kicks_suppressed, faults;
	uint64_t len_clamped; /* used.len beyond the writable bytes, clamped */
};
void virtq_get_stats(const struct virtqueue *vq, struct virtq_stats *out);

#endif
