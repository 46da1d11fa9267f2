/*
 * virtqueue.h - the virtqueue structure shared by split.c and packed.c,
 * the ring-format operations table the public virtq_* calls dispatch
 * through, and volatile little-endian accessors for ring memory.
 *
 * Ring memory is shared with the device, which runs concurrently (QEMU's
 * I/O thread or vCPU).  Everything the driver needs to know about its own
 * buffers lives in driver-private shadow state (`struct vq_slot`, the
 * free lists); the ring is only written, and what the device writes back
 * (used ids and lengths, used.idx, used descriptor flags, event fields) is
 * validated against the shadow before it is believed.
 */
#ifndef VSCSI_DRV_VIRTIO_VIRTQUEUE_H
#define VSCSI_DRV_VIRTIO_VIRTQUEUE_H

#include "virtio/transport.h"

/* Descriptor flags, virtio 1.2 §2.7.5 (split) and §2.8.13 (packed). */
#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_DESC_F_INDIRECT 4u
#define VRING_PACKED_DESC_F_AVAIL (1u << 7)
#define VRING_PACKED_DESC_F_USED (1u << 15)
/* Split ring suppression flags, virtio 1.2 §2.7.7 / §2.7.10. */
#define VRING_AVAIL_F_NO_INTERRUPT 1u
#define VRING_USED_F_NO_NOTIFY 1u
/* Packed ring event suppression flags, virtio 1.2 §2.8.10. */
#define VRING_PACKED_EVENT_ENABLE 0u
#define VRING_PACKED_EVENT_DISABLE 1u
#define VRING_PACKED_EVENT_DESC 2u

#define VRING_DESC_SIZE 16u
#define VIRTQ_MAX_SIZE 32768u
/* Entries of each per-slot indirect table when the caller does not say
 * (capped at the queue size): room for seg_max + 2 with QEMU's default
 * 256-entry queues, so that every request takes one ring slot. */
#define VIRTQ_INDIRECT_DEFAULT 256u
/* Legacy interfaces place the used ring on a 4096-byte boundary (virtio 1.2 §2.7.2). */
#define VIRTQ_LEGACY_ALIGN 4096u

/* --- ring memory accessors (little-endian, volatile) ------------------- */
/* One load or store of the field's natural width (the device may be
 * writing the ring at the same moment), converted with util/byteorder.h. */

static inline uint16_t vq_rd16(const volatile uint8_t *p)
{
	return vs_cpu_le16(*(const volatile uint16_t *)p);
}
static inline uint32_t vq_rd32(const volatile uint8_t *p)
{
	return vs_cpu_le32(*(const volatile uint32_t *)p);
}
static inline void vq_wr16(volatile uint8_t *p, uint16_t v)
{
	*(volatile uint16_t *)p = vs_cpu_le16(v);
}
static inline void vq_wr32(volatile uint8_t *p, uint32_t v)
{
	*(volatile uint32_t *)p = vs_cpu_le32(v);
}
static inline void vq_wr64(volatile uint8_t *p, uint64_t v)
{
	*(volatile uint64_t *)p = vs_cpu_le64(v);
}

/* --- shadow state --------------------------------------------------------- */

enum vq_slot_state {
	VQ_SLOT_FREE = 0,
	VQ_SLOT_ADDED,    /* written to the ring, not yet published by a kick */
	VQ_SLOT_INFLIGHT, /* visible to the device */
};

/* One outstanding chain, indexed by its head descriptor (split) or its
 * buffer id (packed). */
struct vq_slot {
	void *cookie;
	uint32_t in_bytes; /* device-writable bytes: what used.len should say at most */
	uint32_t all_bytes; /* readable + writable bytes of the chain */
	uint16_t ndesc;    /* ring descriptors it occupies */
	uint16_t last;     /* split: last descriptor of the chain */
	uint16_t head;       /* packed: ring position of the first descriptor */
	uint16_t head_flags; /* packed: its flags, stored at publish time */
	uint8_t state;
	bool indirect;
};

/* A chain being added, already validated by virtqueue.c. */
struct vq_chain {
	const struct virtq_buf *out, *in;
	unsigned n_out, n_in;
	uint32_t in_bytes;
	void *cookie;
};

struct vq_ring_ops {
	/* Ring memory size and alignment for `size` entries; the layout of
	 * the three areas inside it. */
	size_t (*mem_size)(uint16_t size);
	void (*layout)(struct virtqueue *vq);
	/* Put the chain into the ring (not visible yet).  0, -ENOSPC. */
	int (*add)(struct virtqueue *vq, const struct vq_chain *c);
	/* Make everything added visible; true when the device wants a
	 * notification (the caller sends it). */
	bool (*publish)(struct virtqueue *vq);
	int (*get)(struct virtqueue *vq, void **cookie, uint32_t *len);
	bool (*has_used)(struct virtqueue *vq);
	bool (*enable_cb)(struct virtqueue *vq);
	void (*disable_cb)(struct virtqueue *vq);
	/* Back to the empty state: ring zeroed, all descriptors free. */
	void (*reset)(struct virtqueue *vq);
};

extern const struct vq_ring_ops vq_split_ops;
extern const struct vq_ring_ops vq_packed_ops;

struct vq_split {
	volatile uint8_t *desc, *avail, *used;
	uint16_t *next;     /* free-list links (driver-private) */
	uint16_t free_head;
	uint16_t avail_idx; /* next avail.idx, not yet published */
	uint16_t avail_pub; /* avail.idx the device can see */
	uint16_t kick_old;  /* avail.idx at the previous kick decision */
	uint16_t last_used; /* used entries consumed */
};

struct vq_packed {
	volatile uint8_t *desc, *driver_event, *device_event;
	uint16_t *free_ids;       /* stack of free buffer ids */
	uint16_t nfree_ids;
	uint16_t next_avail;      /* ring position of the next descriptor */
	bool avail_wrap;          /* driver ring wrap counter (virtio 1.2 §2.8.1) */
	uint16_t next_used;       /* position the next used descriptor appears at */
	bool used_wrap;
	uint16_t kick_pos;        /* next_avail at the previous kick decision */
	bool kick_wrap;
};

struct virtqueue {
	struct virtio_device *dev;
	const struct vq_ring_ops *ring;
	uint16_t index, size;
	bool packed;
	bool event_idx;   /* VIRTIO_F_EVENT_IDX negotiated */
	bool clamp_len;   /* legacy: an over-long used.len is clamped, not a fault */
	bool len_quirk_logged; /* the used.len-counts-readable-bytes quirk was logged */
	bool live;        /* the device owns the ring (cleared by virtio_reset) */
	bool broken;      /* the device broke the protocol: no more traffic */
	bool cb_enabled;
	bool kick_deferred; /* published before DRIVER_OK: notify at DRIVER_OK */

	virtq_callback callback;
	void *cb_arg;

	/* ring memory */
	void *mem;
	uint64_t mem_bus;
	size_t mem_size;
	uint64_t desc_bus, driver_bus, device_bus;

	/* shadow state */
	struct vq_slot *slots;     /* [size] */
	uint16_t num_free;         /* free descriptors */
	uint16_t inflight;         /* chains the device can see and has not returned */
	uint16_t *added;           /* slots added since the last kick */
	uint16_t nadded;

	/* indirect tables: one per slot, `indirect_max` entries each */
	uint16_t indirect_max; /* 0: no indirect descriptors */
	void *indirect;
	uint64_t indirect_bus;
	size_t indirect_size;

	/* transport data */
	volatile uint8_t *notify_addr; /* modern PCI notify register */
	uint16_t vector;

	struct virtq_stats stats;
	union {
		struct vq_split split;
		struct vq_packed packed;
	} u;
};

/* Create a queue's memory and shadow state (no device access). */
int virtq_create(struct virtio_device *dev, uint16_t index, uint16_t size, bool packed,
		 const struct virtq_request *req, struct virtqueue **out);
void virtq_destroy(struct virtqueue *vq);
/* The device could not be reset: forget the ring memory and indirect
 * tables (never freed) and stop the queue.  Returns the bytes kept. */
size_t virtq_abandon(struct virtqueue *vq);
/* Back to empty (ring zeroed, cookies dropped); used when (re)arming. */
void virtq_reset_state(struct virtqueue *vq);
/* Record a protocol fault: log it, mark the queue broken. */
int virtq_fault(struct virtqueue *vq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Indirect table for slot `i`. */
static inline volatile uint8_t *virtq_indirect_table(struct virtqueue *vq, unsigned i, uint64_t *bus)
{
	size_t off = (size_t)i * vq->indirect_max * VRING_DESC_SIZE;
	*bus = vq->indirect_bus + off;
	return (volatile uint8_t *)vq->indirect + off;
}
/* Called by virtio_driver_ok() for queues published before DRIVER_OK. */
void virtq_flush_deferred_kick(struct virtqueue *vq);
/* Common part of completing a chain: check the length, free the slot. */
int virtq_complete_slot(struct virtqueue *vq, uint32_t id, uint32_t len, void **cookie,
			uint32_t *out_len);
/* The slot's descriptors are back on the ring's free list: forget it. */
void virtq_release_slot(struct virtqueue *vq, uint16_t id);

/* Split ring layout (virtio 1.2 §2.7, legacy contiguous form, valid for all
 * transports): offsets of the avail and used rings inside the memory. */
static inline size_t vq_split_avail_off(uint16_t n)
{
	return (size_t)VRING_DESC_SIZE * n;
}
static inline size_t vq_split_used_off(uint16_t n)
{
	/* virtio 1.2 §2.7.2 legacy layout: note the spec's sample ALIGN
	 * macro adds `align` instead of `align - 1`; this is a true round-up. */
	return VS_ALIGN_UP(vq_split_avail_off(n) + 6 + 2 * (size_t)n, (size_t)VIRTQ_LEGACY_ALIGN);
}
static inline size_t vq_split_mem_size(uint16_t n)
{
	return vq_split_used_off(n) + VS_ALIGN_UP(6 + 8 * (size_t)n, (size_t)VIRTQ_LEGACY_ALIGN);
}

#endif
