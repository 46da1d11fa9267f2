/*
 * virtqueue.c - the public virtq_* calls: argument checks, the shadow
 * state common to both ring formats (one slot per outstanding chain), and
 * dispatch to split.c or packed.c through `struct vq_ring_ops`.
 */
#include "virtio/virtqueue.h"

void *virtio_alloc(const struct vscsi_glue *g, size_t size)
{
	uint64_t bus;
	if (!size)
		size = 1;
	return g->dma_alloc(g->ctx, size, 16, &bus);
}

void virtio_free(const struct vscsi_glue *g, void *p, size_t size)
{
	if (p)
		g->dma_free(g->ctx, p, size ? size : 1);
}

int virtq_fault(struct virtqueue *vq, const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vs_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!vq->broken)
		vs_log(vq->dev->glue, VS_LOG_ERR, "virtio %s: queue %u: %s; queue stopped until reset",
		       vq->dev->location, vq->index, msg);
	vq->broken = true;
	vq->stats.faults++;
	return -VSCSI_EPROTO;
}

/* --- creation --------------------------------------------------------- */

static void *dma_zalloc(const struct vscsi_glue *g, size_t size, size_t align, uint64_t *bus)
{
	return g->dma_alloc(g->ctx, size, align, bus);
}

static void alloc_indirect(struct virtqueue *vq, const struct virtq_request *req)
{
	const struct vscsi_glue *g = vq->dev->glue;
	unsigned want = req && req->indirect_max ? req->indirect_max : VIRTQ_INDIRECT_DEFAULT;
	/* A chain never exceeds the queue size, indirect or not (virtio 1.2 §2.7.5
	 * read strictly), and QEMU accepts at most 1024 elements per chain. */
	want = VS_MIN(want, (unsigned)vq->size);
	want = VS_MIN(want, 1024u);
	if (want < 2)
		return; /* the caller wants none (chains of one never use a table) */
	while (want >= 2) {
		size_t sz = (size_t)vq->size * want * VRING_DESC_SIZE;
		void *p = dma_zalloc(g, sz, 16, &vq->indirect_bus);
		if (p) {
			vq->indirect = p;
			vq->indirect_size = sz;
			vq->indirect_max = (uint16_t)want;
			return;
		}
		want /= 2; /* short of memory: smaller tables, then none */
	}
	vs_log(g, VS_LOG_WARN, "virtio %s: queue %u: no memory for indirect tables, using direct chains",
	       vq->dev->location, vq->index);
}

int virtq_create(struct virtio_device *dev, uint16_t index, uint16_t size, bool packed,
		 const struct virtq_request *req, struct virtqueue **out)
{
	const struct vscsi_glue *g = dev->glue;
	struct virtqueue *vq = virtio_alloc(g, sizeof(*vq));
	if (!vq)
		return -VSCSI_ENOMEM;
	vq->dev = dev;
	vq->index = index;
	vq->size = size;
	vq->packed = packed;
	vq->ring = packed ? &vq_packed_ops : &vq_split_ops;
	vq->event_idx = virtio_has(dev, VIRTIO_F_EVENT_IDX);
	vq->clamp_len = dev->ops->legacy;
	vq->vector = VIRTIO_NO_VECTOR;
	if (req) {
		vq->callback = req->callback;
		vq->cb_arg = req->arg;
	}
	vq->mem_size = vq->ring->mem_size(size);
	vq->mem = dma_zalloc(g, vq->mem_size, VIRTQ_LEGACY_ALIGN, &vq->mem_bus);
	vq->slots = virtio_alloc(g, sizeof(*vq->slots) * size);
	vq->added = virtio_alloc(g, sizeof(*vq->added) * size);
	if (packed) {
		vq->u.packed.free_ids = virtio_alloc(g, sizeof(uint16_t) * size);
	} else {
		vq->u.split.next = virtio_alloc(g, sizeof(uint16_t) * size);
	}
	if (!vq->mem || !vq->slots || !vq->added ||
	    (packed ? !vq->u.packed.free_ids : !vq->u.split.next)) {
		virtq_destroy(vq);
		return -VSCSI_ENOMEM;
	}
	if (virtio_has(dev, VIRTIO_F_INDIRECT_DESC))
		alloc_indirect(vq, req);
	vq->ring->layout(vq);
	virtq_reset_state(vq);
	*out = vq;
	return 0;
}

void virtq_destroy(struct virtqueue *vq)
{
	if (!vq)
		return;
	const struct vscsi_glue *g = vq->dev->glue;
	if (vq->mem)
		g->dma_free(g->ctx, vq->mem, vq->mem_size);
	if (vq->indirect)
		g->dma_free(g->ctx, vq->indirect, vq->indirect_size);
	virtio_free(g, vq->slots, sizeof(*vq->slots) * vq->size);
	virtio_free(g, vq->added, sizeof(*vq->added) * vq->size);
	if (vq->packed)
		virtio_free(g, vq->u.packed.free_ids, sizeof(uint16_t) * vq->size);
	else
		virtio_free(g, vq->u.split.next, sizeof(uint16_t) * vq->size);
	virtio_free(g, vq, sizeof(*vq));
}

size_t virtq_abandon(struct virtqueue *vq)
{
	/* The device may still read and write these: virtq_destroy leaves
	 * them allocated.  The host gets them back never (a leak by design,
	 * the price of a device that cannot be reset). */
	size_t n = vq->mem_size + (vq->indirect ? vq->indirect_size : 0);
	vq->mem = NULL;
	vq->indirect = NULL;
	vq->live = false;
	vq->broken = true;
	return n;
}

void virtq_reset_state(struct virtqueue *vq)
{
	vs_memset(vq->slots, 0, sizeof(*vq->slots) * vq->size);
	vq->num_free = vq->size;
	vq->inflight = 0;
	vq->nadded = 0;
	vq->broken = false;
	vq->cb_enabled = true;
	vq->kick_deferred = false;
	vq->ring->reset(vq);
}

/* --- shared completion checks ------------------------------------------- */

int virtq_complete_slot(struct virtqueue *vq, uint32_t id, uint32_t len, void **cookie,
			uint32_t *out_len)
{
	if (id >= vq->size)
		return virtq_fault(vq, "device returned id %u, beyond the queue size %u", id, vq->size);
	struct vq_slot *s = &vq->slots[id];
	if (s->state != VQ_SLOT_INFLIGHT)
		return virtq_fault(vq, "device returned id %u, which is %s", id,
				   s->state == VQ_SLOT_ADDED ? "not yet published" : "not in flight");
	if (len > s->in_bytes) {
		/* virtio 1.2 §2.7.8 / §2.8.6: len counts the bytes written into
		 * the device-writable part.  QEMU's virtio-scsi (7.2) reports
		 * response header plus *data* bytes even for data-out, so a
		 * length up to the whole chain is a known device quirk: clamp
		 * it (nothing above trusts len beyond that) and say so once.
		 * More than the whole chain holds is impossible: a fault.
		 * Legacy devices may report anything; the spec says ignore it. */
		if (len > s->all_bytes && !vq->clamp_len)
			return virtq_fault(vq, "device wrote len %u for id %u, beyond the chain's %u bytes",
					   len, id, s->all_bytes);
		if (!vq->clamp_len && !vq->len_quirk_logged) {
			vq->len_quirk_logged = true;
			vs_log(vq->dev->glue, VS_LOG_DEBUG,
			       "virtio %s: queue %u: device counts readable bytes in used.len "
			       "(%u > %u writable); clamping", virtio_location(vq->dev), vq->index,
			       len, s->in_bytes);
		}
		vq->stats.len_clamped++;
		len = s->in_bytes;
	}
	*cookie = s->cookie;
	*out_len = len;
	return 0;
}

void virtq_release_slot(struct virtqueue *vq, uint16_t id)
{
	struct vq_slot *s = &vq->slots[id];
	vq->num_free = (uint16_t)(vq->num_free + s->ndesc);
	vq->inflight--;
	s->state = VQ_SLOT_FREE;
	s->cookie = NULL;
}

/* --- public API -------------------------------------------------------- */

int virtq_add(struct virtqueue *vq, const struct virtq_buf *out, unsigned n_out,
	      const struct virtq_buf *in, unsigned n_in, void *cookie)
{
	if (vq->broken)
		return -VSCSI_EPROTO;
	if (!vq->live)
		return -VSCSI_ENODEV;
	unsigned total = n_out + n_in;
	if (!cookie || total == 0 || total < n_out || (n_out && !out) || (n_in && !in))
		return -VSCSI_EINVAL;
	if (total > virtq_max_chain(vq))
		return -VSCSI_EINVAL;
	uint64_t bytes = 0, in_bytes = 0;
	for (unsigned i = 0; i < n_out; i++) {
		if (!out[i].len)
			return -VSCSI_EINVAL; /* QEMU: "zero sized buffers are not allowed" */
		bytes += out[i].len;
	}
	for (unsigned i = 0; i < n_in; i++) {
		if (!in[i].len)
			return -VSCSI_EINVAL;
		in_bytes += in[i].len;
	}
	/* virtio 1.2 §2.7.5: the total length of a chain stays below 2^32. */
	if (bytes + in_bytes > 0xffffffffull)
		return -VSCSI_EINVAL;
	struct vq_chain c = { out, in, n_out, n_in, (uint32_t)in_bytes, cookie };
	int id = vq->ring->add(vq, &c);
	if (id < 0)
		return id;
	struct vq_slot *s = &vq->slots[id];
	s->cookie = cookie;
	s->in_bytes = (uint32_t)in_bytes;
	s->all_bytes = (uint32_t)(bytes + in_bytes);
	s->state = VQ_SLOT_ADDED;
	vq->added[vq->nadded++] = (uint16_t)id;
	vq->stats.added++;
	return 0;
}

static void notify(struct virtqueue *vq)
{
	vq->dev->ops->queue_notify(vq->dev, vq);
	vq->stats.kicks++;
}

bool virtq_kick(struct virtqueue *vq)
{
	if (vq->broken || !vq->live || vq->nadded == 0)
		return false;
	for (unsigned i = 0; i < vq->nadded; i++)
		vq->slots[vq->added[i]].state = VQ_SLOT_INFLIGHT;
	vq->inflight = (uint16_t)(vq->inflight + vq->nadded);
	bool need = vq->ring->publish(vq);
	vq->nadded = 0;
	/* virtio 1.2 §3.1.1: no available-buffer notification before DRIVER_OK;
	 * the buffers are published and virtio_driver_ok() sends it. */
	if (!vq->dev->driver_ok) {
		vq->kick_deferred = true;
		return false;
	}
	if (!need) {
		vq->stats.kicks_suppressed++;
		return false;
	}
	notify(vq);
	return true;
}

void virtq_flush_deferred_kick(struct virtqueue *vq)
{
	if (vq->kick_deferred && vq->live && !vq->broken)
		notify(vq);
	vq->kick_deferred = false;
}

int virtq_get(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	if (vq->broken)
		return -VSCSI_EPROTO;
	if (!vq->live)
		return 0;
	void *c = NULL;
	uint32_t l = 0;
	int rc = vq->ring->get(vq, &c, &l);
	if (rc == 1) {
		vq->stats.used++;
		if (cookie)
			*cookie = c;
		if (len)
			*len = l;
	}
	return rc;
}

bool virtq_has_used(struct virtqueue *vq)
{
	if (vq->broken || !vq->live)
		return false;
	return vq->ring->has_used(vq);
}

bool virtq_enable_cb(struct virtqueue *vq)
{
	vq->cb_enabled = true;
	if (vq->broken || !vq->live)
		return false;
	return vq->ring->enable_cb(vq);
}

void virtq_disable_cb(struct virtqueue *vq)
{
	vq->cb_enabled = false;
	if (vq->broken || !vq->live)
		return;
	vq->ring->disable_cb(vq);
}

void virtq_reclaim(struct virtqueue *vq, void (*fn)(void *cookie, void *arg), void *arg)
{
	if (vq->live) {
		/* virtio 1.2 §3.3.1 Device Cleanup: buffers come back only after a reset. */
		vs_log(vq->dev->glue, VS_LOG_ERR,
		       "virtio %s: queue %u: reclaim refused, the device still owns the ring",
		       vq->dev->location, vq->index);
		return;
	}
	for (unsigned i = 0; i < vq->size; i++) {
		struct vq_slot *s = &vq->slots[i];
		if (s->state != VQ_SLOT_FREE) {
			void *c = s->cookie;
			s->state = VQ_SLOT_FREE;
			s->cookie = NULL;
			if (fn)
				fn(c, arg);
		}
	}
	virtq_reset_state(vq);
}

uint16_t virtq_size(const struct virtqueue *vq)
{
	return vq->size;
}

unsigned virtq_free_count(const struct virtqueue *vq)
{
	return vq->num_free;
}

unsigned virtq_index(const struct virtqueue *vq)
{
	return vq->index;
}

bool virtq_is_packed(const struct virtqueue *vq)
{
	return vq->packed;
}

bool virtq_is_broken(const struct virtqueue *vq)
{
	return vq->broken;
}

unsigned virtq_max_chain(const struct virtqueue *vq)
{
	return VS_MAX((unsigned)vq->indirect_max, (unsigned)vq->size);
}

unsigned virtq_indirect_max(const struct virtqueue *vq)
{
	return vq->indirect_max;
}

void virtq_get_stats(const struct virtqueue *vq, struct virtq_stats *out)
{
	*out = vq->stats;
}
