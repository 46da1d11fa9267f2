/*
 * packed.c - the packed virtqueue, virtio 1.2 §2.8 (VIRTIO_F_RING_PACKED).
 *
 * Memory: the descriptor ring (16 bytes x N) followed by the driver event
 * suppression structure and the device event suppression structure (4
 * bytes each, virtio 1.2 §2.8.10).
 *
 * A chain occupies consecutive ring positions and carries a buffer id,
 * which is its slot number; ids come from a driver-private free stack.
 * Ownership moves through the AVAIL/USED flag bits and the two wrap
 * counters (virtio 1.2 §2.8.1), never through an index the device could jump.
 */
#include "virtio/virtqueue.h"

/* descriptor: addr @0, len @8, id @12, flags @14 (virtio 1.2 §2.8.13) */
#define D_ADDR 0
#define D_LEN 8
#define D_ID 12
#define D_FLAGS 14
/* event suppression: off_wrap @0, flags @2 (virtio 1.2 §2.8.10) */
#define E_OFF_WRAP 0
#define E_FLAGS 2

static size_t packed_mem_size(uint16_t n)
{
	return (size_t)VRING_DESC_SIZE * n + 8;
}

static void packed_layout(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->u.packed;
	uint8_t *m = vq->mem;
	size_t ring = (size_t)VRING_DESC_SIZE * vq->size;
	p->desc = m;
	p->driver_event = m + ring;
	p->device_event = m + ring + 4;
	vq->desc_bus = vq->mem_bus;
	vq->driver_bus = vq->mem_bus + ring;
	vq->device_bus = vq->mem_bus + ring + 4;
}

static void packed_reset(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->u.packed;
	vs_memset(vq->mem, 0, vq->mem_size);
	for (uint16_t i = 0; i < vq->size; i++)
		p->free_ids[i] = (uint16_t)(vq->size - 1 - i);
	p->nfree_ids = vq->size;
	/* virtio 1.2 §2.8.1: both wrap counters start at 1. */
	p->next_avail = 0;
	p->avail_wrap = true;
	p->next_used = 0;
	p->used_wrap = true;
	p->kick_pos = 0;
	p->kick_wrap = true;
	/* With EVENT_IDX ask for an interrupt at the first used descriptor
	 * (desc mode) rather than for every one. */
	if (vq->event_idx && vq->cb_enabled) {
		vq_wr16(p->driver_event + E_OFF_WRAP, 0x8000);
		vq_wr16(p->driver_event + E_FLAGS, VRING_PACKED_EVENT_DESC);
	}
}

/* virtio 1.2 §2.8.1: a descriptor is available when AVAIL equals the driver's wrap
 * counter and USED differs from it. */
static uint16_t avail_bits(bool wrap)
{
	return (uint16_t)(wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED);
}

static int packed_add(struct virtqueue *vq, const struct vq_chain *c)
{
	struct vq_packed *p = &vq->u.packed;
	unsigned total = c->n_out + c->n_in;
	bool indirect = vq->indirect_max && total > 1 && total <= vq->indirect_max;
	unsigned need = indirect ? 1 : total;
	if (!indirect && total > vq->size)
		return -VSCSI_EINVAL;
	/* virtio 1.2 §2.8.21.1: room for the whole chain before the first descriptor. */
	if (need > vq->num_free || !p->nfree_ids)
		return -VSCSI_ENOSPC;

	uint16_t id = p->free_ids[--p->nfree_ids];
	struct vq_slot *slot = &vq->slots[id];
	uint16_t pos = p->next_avail;
	bool wrap = p->avail_wrap;
	slot->head = pos;

	if (indirect) {
		uint64_t tbus;
		volatile uint8_t *t = virtq_indirect_table(vq, id, &tbus);
		/* virtio 1.2 §2.8.19: inside a table only WRITE is meaningful; entries
		 * follow each other without NEXT. */
		for (unsigned i = 0; i < total; i++) {
			bool w = i >= c->n_out;
			const struct virtq_buf *b = w ? &c->in[i - c->n_out] : &c->out[i];
			volatile uint8_t *d = t + i * VRING_DESC_SIZE;
			vq_wr64(d + D_ADDR, b->addr);
			vq_wr32(d + D_LEN, b->len);
			vq_wr16(d + D_ID, 0);
			vq_wr16(d + D_FLAGS, (uint16_t)(w ? VRING_DESC_F_WRITE : 0));
		}
		volatile uint8_t *d = p->desc + (size_t)pos * VRING_DESC_SIZE;
		vq_wr64(d + D_ADDR, tbus);
		vq_wr32(d + D_LEN, total * VRING_DESC_SIZE);
		vq_wr16(d + D_ID, id);
		slot->head_flags = (uint16_t)(VRING_DESC_F_INDIRECT | avail_bits(wrap));
		if (++pos == vq->size) {
			pos = 0;
			wrap = !wrap;
		}
	} else {
		for (unsigned i = 0; i < total; i++) {
			bool w = i >= c->n_out;
			const struct virtq_buf *b = w ? &c->in[i - c->n_out] : &c->out[i];
			uint16_t f = (uint16_t)((w ? VRING_DESC_F_WRITE : 0) |
						(i + 1 < total ? VRING_DESC_F_NEXT : 0) | avail_bits(wrap));
			volatile uint8_t *d = p->desc + (size_t)pos * VRING_DESC_SIZE;
			vq_wr64(d + D_ADDR, b->addr);
			vq_wr32(d + D_LEN, b->len);
			/* virtio 1.2 §2.8.6: the buffer id belongs in the last descriptor;
			 * writing it in all of them costs nothing. */
			vq_wr16(d + D_ID, id);
			if (i == 0)
				slot->head_flags = f; /* stored by publish() */
			else
				vq_wr16(d + D_FLAGS, f);
			if (++pos == vq->size) {
				pos = 0;
				wrap = !wrap;
			}
		}
	}
	p->next_avail = pos;
	p->avail_wrap = wrap;
	vq->num_free = (uint16_t)(vq->num_free - need);
	slot->ndesc = (uint16_t)need;
	slot->indirect = indirect;
	return id;
}

/* Position in the 2N cycle of (position, wrap) pairs. */
static uint32_t lap_pos(const struct virtqueue *vq, uint16_t pos, bool wrap)
{
	return pos + (wrap ? 0u : vq->size);
}

static bool packed_publish(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->u.packed;
	/* virtio 1.2 §2.8.21: the rest of each chain before its first flags. */
	vs_wmb();
	for (unsigned i = 0; i < vq->nadded; i++) {
		struct vq_slot *s = &vq->slots[vq->added[i]];
		vq_wr16(p->desc + (size_t)s->head * VRING_DESC_SIZE + D_FLAGS, s->head_flags);
	}
	/* virtio 1.2 §2.8.21.3: read the device's suppression only after the flags
	 * stores are visible (store-load barrier). */
	vs_mb();
	uint32_t cycle = 2u * vq->size;
	uint32_t old = lap_pos(vq, p->kick_pos, p->kick_wrap);
	uint32_t new = lap_pos(vq, p->next_avail, p->avail_wrap);
	p->kick_pos = p->next_avail;
	p->kick_wrap = p->avail_wrap;
	uint16_t flags = vq_rd16(p->device_event + E_FLAGS) & 3;
	if (flags == VRING_PACKED_EVENT_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_DESC || !vq->event_idx)
		return true;
	uint16_t ow = vq_rd16(p->device_event + E_OFF_WRAP);
	uint16_t off = ow & 0x7fff;
	if (off >= vq->size)
		return true; /* nonsense from the device: notifying is always safe */
	uint32_t ev = lap_pos(vq, off, ow >> 15);
	/* Notify when the descriptor the device waits for was made available
	 * in this batch, i.e. lies in [old, new) around the 2N cycle. */
	return (ev + cycle - old) % cycle < (new + cycle - old) % cycle;
}

static bool is_used(struct vq_packed *p, uint16_t flags)
{
	bool a = flags & VRING_PACKED_DESC_F_AVAIL, u = flags & VRING_PACKED_DESC_F_USED;
	return a == u && u == p->used_wrap;
}

static bool packed_has_used(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->u.packed;
	return is_used(p, vq_rd16(p->desc + (size_t)p->next_used * VRING_DESC_SIZE + D_FLAGS));
}

static void write_driver_event(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->u.packed;
	vq_wr16(p->driver_event + E_OFF_WRAP,
		(uint16_t)(p->next_used | (p->used_wrap ? 0x8000u : 0)));
}

static int packed_get(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	struct vq_packed *p = &vq->u.packed;
	volatile uint8_t *d = p->desc + (size_t)p->next_used * VRING_DESC_SIZE;
	if (!is_used(p, vq_rd16(d + D_FLAGS)))
		return 0;
	/* virtio 1.2 §2.8.22: id and len only after the flags said "used". */
	vs_rmb();
	uint16_t id = vq_rd16(d + D_ID);
	uint32_t ulen = vq_rd32(d + D_LEN);
	int rc = virtq_complete_slot(vq, id, ulen, cookie, len);
	if (rc)
		return rc;
	/* virtio 1.2 §2.8.6: the device wrote one descriptor for the chain; the next used
	 * one follows the whole chain's length. */
	uint16_t n = vq->slots[id].ndesc;
	uint32_t next = (uint32_t)p->next_used + n;
	if (next >= vq->size) {
		next -= vq->size;
		p->used_wrap = !p->used_wrap;
	}
	p->next_used = (uint16_t)next;
	p->free_ids[p->nfree_ids++] = id;
	virtq_release_slot(vq, id);
	if (vq->event_idx && vq->cb_enabled)
		write_driver_event(vq);
	return 1;
}

static bool packed_enable_cb(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->u.packed;
	if (vq->event_idx) {
		write_driver_event(vq);
		vs_wmb();
		vq_wr16(p->driver_event + E_FLAGS, VRING_PACKED_EVENT_DESC);
	} else {
		vq_wr16(p->driver_event + E_FLAGS, VRING_PACKED_EVENT_ENABLE);
	}
	vs_mb();
	return packed_has_used(vq);
}

static void packed_disable_cb(struct virtqueue *vq)
{
	vq_wr16(vq->u.packed.driver_event + E_FLAGS, VRING_PACKED_EVENT_DISABLE);
}

const struct vq_ring_ops vq_packed_ops = {
	.mem_size = packed_mem_size,
	.layout = packed_layout,
	.add = packed_add,
	.publish = packed_publish,
	.get = packed_get,
	.has_used = packed_has_used,
	.enable_cb = packed_enable_cb,
	.disable_cb = packed_disable_cb,
	.reset = packed_reset,
};
