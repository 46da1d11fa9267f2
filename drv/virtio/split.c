/*
 * split.c - the split virtqueue, virtio 1.2 §2.7.
 *
 * Memory (one allocation, legacy contiguous layout so that every transport
 * can use it): descriptor table at 0, avail ring at 16N, used ring on the
 * next 4096-byte boundary.
 *
 * Free descriptors form a list through driver-private `next` links, never
 * through the descriptor table (the device could scribble on it).  A chain
 * is identified by its head descriptor, which is also its slot number.
 */
#include "virtio/virtqueue.h"

/* avail ring: flags @0, idx @2, ring[N] @4, used_event @4+2N (virtio 1.2 §2.7.6) */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
/* used ring: flags @0, idx @2, ring[N] of {id le32, len le32} @4,
 * avail_event @4+8N (virtio 1.2 §2.7.8) */
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4

static inline volatile uint8_t *used_event(struct vq_split *s, uint16_t n)
{
	return s->avail + AVAIL_RING + 2 * (size_t)n;
}

static inline volatile uint8_t *avail_event(struct vq_split *s, uint16_t n)
{
	return s->used + USED_RING + 8 * (size_t)n;
}

static size_t split_mem_size(uint16_t n)
{
	return vq_split_mem_size(n);
}

static void split_layout(struct virtqueue *vq)
{
	struct vq_split *s = &vq->u.split;
	uint8_t *m = vq->mem;
	s->desc = m;
	s->avail = m + vq_split_avail_off(vq->size);
	s->used = m + vq_split_used_off(vq->size);
	vq->desc_bus = vq->mem_bus;
	vq->driver_bus = vq->mem_bus + vq_split_avail_off(vq->size);
	vq->device_bus = vq->mem_bus + vq_split_used_off(vq->size);
}

static void split_reset(struct virtqueue *vq)
{
	struct vq_split *s = &vq->u.split;
	/* virtio 1.2 §2.7.8: the driver MUST initialise used.flags to 0; zero it all. */
	vs_memset(vq->mem, 0, vq->mem_size);
	for (uint16_t i = 0; i < vq->size; i++)
		s->next[i] = (uint16_t)(i + 1 == vq->size ? 0 : i + 1);
	s->free_head = 0;
	s->avail_idx = 0;
	s->avail_pub = 0;
	s->kick_old = 0;
	s->last_used = 0;
}

static void write_desc(volatile uint8_t *d, uint64_t addr, uint32_t len, uint16_t flags,
		       uint16_t next)
{
	vq_wr64(d + 0, addr);
	vq_wr32(d + 8, len);
	vq_wr16(d + 12, flags);
	vq_wr16(d + 14, next);
}

static const struct virtq_buf *chain_buf(const struct vq_chain *c, unsigned i, bool *writable)
{
	*writable = i >= c->n_out;
	return *writable ? &c->in[i - c->n_out] : &c->out[i];
}

static int split_add(struct virtqueue *vq, const struct vq_chain *c)
{
	struct vq_split *s = &vq->u.split;
	unsigned total = c->n_out + c->n_in;
	/* virtio 1.2 §2.7.5.3: one indirect descriptor per chain of more than one
	 * buffer (a single buffer gains nothing from a table). */
	bool indirect = vq->indirect_max && total > 1 && total <= vq->indirect_max;
	unsigned need = indirect ? 1 : total;
	if (!indirect && total > vq->size)
		return -VSCSI_EINVAL;
	if (need > vq->num_free)
		return -VSCSI_ENOSPC;

	uint16_t head = s->free_head;
	struct vq_slot *slot = &vq->slots[head];
	bool w;
	if (indirect) {
		uint64_t tbus;
		volatile uint8_t *t = virtq_indirect_table(vq, head, &tbus);
		/* Readable entries first, then writable (virtio 1.2 §2.7.4.2); inside a
		 * table the entries chain through `next` (virtio 1.2 §2.7.5.3.1). */
		for (unsigned i = 0; i < total; i++) {
			const struct virtq_buf *b = chain_buf(c, i, &w);
			uint16_t f = (uint16_t)((w ? VRING_DESC_F_WRITE : 0) |
						(i + 1 < total ? VRING_DESC_F_NEXT : 0));
			write_desc(t + i * VRING_DESC_SIZE, b->addr, b->len, f,
				   (uint16_t)(i + 1 < total ? i + 1 : 0));
		}
		write_desc(s->desc + head * VRING_DESC_SIZE, tbus, total * VRING_DESC_SIZE,
			   VRING_DESC_F_INDIRECT, 0);
		s->free_head = s->next[head];
		slot->last = head;
	} else {
		uint16_t d = head, last = head;
		for (unsigned i = 0; i < total; i++) {
			const struct virtq_buf *b = chain_buf(c, i, &w);
			bool more = i + 1 < total;
			uint16_t f = (uint16_t)((w ? VRING_DESC_F_WRITE : 0) | (more ? VRING_DESC_F_NEXT : 0));
			write_desc(s->desc + d * VRING_DESC_SIZE, b->addr, b->len, f,
				   more ? s->next[d] : 0);
			last = d;
			d = s->next[d];
		}
		s->free_head = d;
		slot->last = last;
	}
	vq->num_free = (uint16_t)(vq->num_free - need);
	slot->ndesc = (uint16_t)need;
	slot->indirect = indirect;
	vq_wr16(s->avail + AVAIL_RING + 2 * (size_t)(s->avail_idx & (vq->size - 1)), head);
	s->avail_idx++;
	return head;
}

static bool split_publish(struct virtqueue *vq)
{
	struct vq_split *s = &vq->u.split;
	/* virtio 1.2 §2.7.13: descriptors and ring entries before the index. */
	vs_wmb();
	vq_wr16(s->avail + AVAIL_IDX, s->avail_idx);
	s->avail_pub = s->avail_idx;
	/* virtio 1.2 §2.7.13.4 / §2.7.10: the device's suppression state must be read
	 * after the index store is visible: a store-load barrier. */
	vs_mb();
	uint16_t new = s->avail_idx, old = s->kick_old;
	s->kick_old = new;
	if (vq->event_idx) {
		/* virtio 1.2 §2.7.10: notify when avail_event lies in [old, new). */
		uint16_t ev = vq_rd16(avail_event(s, vq->size));
		return (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
	}
	return !(vq_rd16(s->used + USED_FLAGS) & VRING_USED_F_NO_NOTIFY);
}

static bool split_has_used(struct virtqueue *vq)
{
	struct vq_split *s = &vq->u.split;
	return vq_rd16(s->used + USED_IDX) != s->last_used;
}

static int split_get(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	struct vq_split *s = &vq->u.split;
	uint16_t used_idx = vq_rd16(s->used + USED_IDX);
	if (used_idx == s->last_used)
		return 0;
	/* The device can only have returned what it could see. */
	uint16_t ready = (uint16_t)(used_idx - s->last_used);
	if (ready > vq->inflight)
		return virtq_fault(vq, "used.idx moved from %u to %u with %u buffers in flight",
				   s->last_used, used_idx, vq->inflight);
	/* virtio 1.2 §2.7.13: read the entry only after seeing the index. */
	vs_rmb();
	volatile uint8_t *e = s->used + USED_RING + 8 * (size_t)(s->last_used & (vq->size - 1));
	uint32_t id = vq_rd32(e), ulen = vq_rd32(e + 4);
	int rc = virtq_complete_slot(vq, id, ulen, cookie, len);
	if (rc)
		return rc;
	struct vq_slot *slot = &vq->slots[id];
	s->next[slot->last] = s->free_head;
	s->free_head = (uint16_t)id;
	virtq_release_slot(vq, (uint16_t)id);
	s->last_used++;
	/* virtio 1.2 §2.7.7: keep used_event at the next entry we expect, so the device
	 * interrupts for the next completion and not 65536 later. */
	if (vq->event_idx && vq->cb_enabled)
		vq_wr16(used_event(s, vq->size), s->last_used);
	return 1;
}

static bool split_enable_cb(struct virtqueue *vq)
{
	struct vq_split *s = &vq->u.split;
	if (vq->event_idx)
		vq_wr16(used_event(s, vq->size), s->last_used);
	else
		vq_wr16(s->avail + AVAIL_FLAGS, 0);
	/* virtio 1.2 §2.7.14: re-check after re-arming, or a completion that raced
	 * with the store would wait for the next one. */
	vs_mb();
	return split_has_used(vq);
}

static void split_disable_cb(struct virtqueue *vq)
{
	struct vq_split *s = &vq->u.split;
	if (vq->event_idx) {
		/* avail.flags must stay 0 with EVENT_IDX (virtio 1.2 §2.7.7); park
		 * used_event as far behind as it can be instead. */
		vq_wr16(used_event(s, vq->size), (uint16_t)(s->last_used - 1));
	} else {
		vq_wr16(s->avail + AVAIL_FLAGS, VRING_AVAIL_F_NO_INTERRUPT);
	}
}

const struct vq_ring_ops vq_split_ops = {
	.mem_size = split_mem_size,
	.layout = split_layout,
	.add = split_add,
	.publish = split_publish,
	.get = split_get,
	.has_used = split_has_used,
	.enable_cb = split_enable_cb,
	.disable_cb = split_disable_cb,
	.reset = split_reset,
};
