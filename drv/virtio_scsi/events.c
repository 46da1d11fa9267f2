/*
 * events.c - the event queue (virtio 1.2 §5.6.6.3): keeping buffers
 * posted and copying the events out of them.
 *
 *   vs_evq_init / vs_evq_free   the buffers (one cache line each)
 *   vs_evq_post_all             post every buffer (after DRIVER_OK, a reset)
 *   vs_evq_drain                copy returned events out, re-post at once
 *   vs_adapter_next_event       hand one event, decoded, to the midlayer
 *
 * The driver keeps `nbufs` device-writable buffers posted, each in its own
 * cache line (Linux 2678369e8efe).  When one comes back its 16 bytes are
 * copied to a pending ring and the buffer is posted again at once, so the
 * queue stays stocked even while events wait; the midlayer takes them
 * later, from vscsi_poll(), because acting on them means sending commands
 * (rescans), which cannot happen in interrupt context.
 */
#include "virtio_scsi/internal.h"

_Static_assert(VS_EVENT_NONE == VIRTIO_SCSI_T_NO_EVENT &&
		       VS_EVENT_TRANSPORT_RESET == VIRTIO_SCSI_T_TRANSPORT_RESET &&
		       VS_EVENT_ASYNC_NOTIFY == VIRTIO_SCSI_T_ASYNC_NOTIFY &&
		       VS_EVENT_PARAM_CHANGE == VIRTIO_SCSI_T_PARAM_CHANGE,
	       "event types are the device's");
_Static_assert(VS_EVENT_RESET_HARD == VIRTIO_SCSI_EVT_RESET_HARD &&
		       VS_EVENT_RESET_RESCAN == VIRTIO_SCSI_EVT_RESET_RESCAN &&
		       VS_EVENT_RESET_REMOVED == VIRTIO_SCSI_EVT_RESET_REMOVED,
	       "reset reasons are the device's");

/*
 * vs_evq_init - virtio 1.2 §5.6.6.3: buffers of at least the 16-byte event
 * (MUST), event_info_size if it fits a cache line (SHOULD); `event_buffers`
 * of them (0: 8, as Linux), never more than the queue holds.
 */
int vs_evq_init(struct vs_adapter *a)
{
	const struct vscsi_glue *g = a->glue;
	struct vs_evq *e = &a->evq;
	e->nbufs = a->event_buffers ? a->event_buffers : 8;
	if (e->nbufs > VS_EVT_MAX_BUFS)
		e->nbufs = VS_EVT_MAX_BUFS;
	if (e->nbufs > virtq_size(e->vq))
		e->nbufs = virtq_size(e->vq);
	uint32_t len = a->event_info_size;
	if (len < sizeof(struct virtio_scsi_event))
		len = sizeof(struct virtio_scsi_event);
	if (len > VS_EVT_STRIDE)
		len = VS_EVT_STRIDE;
	e->buf_len = len;
	e->mem_size = (size_t)e->nbufs * VS_EVT_STRIDE;
	e->mem = g->dma_alloc(g->ctx, e->mem_size, 64, &e->mem_bus);
	if (!e->mem)
		return -VSCSI_ENOMEM;
	e->lock = vs_lock_create(g);
	return 0;
}

void vs_evq_free(struct vs_adapter *a)
{
	const struct vscsi_glue *g = a->glue;
	if (a->evq.mem)
		g->dma_free(g->ctx, a->evq.mem, a->evq.mem_size);
	if (a->evq.lock && g->lock_destroy)
		g->lock_destroy(g->ctx, a->evq.lock);
	a->evq.mem = NULL;
	a->evq.lock = NULL;
}

/* Post buffer i, cleared, device-writable only; the caller holds the
 * event queue's lock and kicks.  A buffer that cannot be posted is
 * remembered (and counted): vs_evq_repost() tries again from the next
 * poll, so the queue is not left short until the next reset. */
static int post_buffer(struct vs_adapter *a, unsigned i)
{
	struct vs_evq *e = &a->evq;
	uint8_t *buf = e->mem + (size_t)i * VS_EVT_STRIDE;
	vs_memset(buf, 0, VS_EVT_STRIDE);
	struct virtq_buf b = { e->mem_bus + (uint64_t)i * VS_EVT_STRIDE, e->buf_len };
	int r = virtq_add(e->vq, NULL, 0, &b, 1, buf);
	if (r < 0) {
		if (!(e->unposted & (1u << i))) {
			a->event_repost_failures++;
			vs_log(a->glue, VS_LOG_WARN,
			       "vscsi host%u: cannot post event buffer %u (%s): trying again "
			       "from the next poll", a->host, i, vscsi_strerror(r));
		}
		e->unposted |= 1u << i;
	} else {
		e->unposted &= ~(1u << i);
	}
	return r;
}

void vs_evq_post_all(struct vs_adapter *a)
{
	struct vs_evq *e = &a->evq;
	vs_lock(a->glue, e->lock);
	e->unposted = 0; /* after a reset every buffer is ours again */
	for (unsigned i = 0; i < e->nbufs; i++)
		post_buffer(a, i);
	virtq_kick(e->vq);
	vs_unlock(a->glue, e->lock);
}

void vs_evq_repost(struct vs_adapter *a)
{
	struct vs_evq *e = &a->evq;
	if (!__atomic_load_n(&e->unposted, __ATOMIC_RELAXED))
		return;
	vs_lock(a->glue, e->lock);
	bool posted = false;
	for (unsigned i = 0; i < e->nbufs; i++)
		if ((e->unposted & (1u << i)) && post_buffer(a, i) == 0)
			posted = true;
	if (posted)
		virtq_kick(e->vq);
	vs_unlock(a->glue, e->lock);
}

/* Copy every returned event to the pending ring (or note the overflow) and
 * post its buffer again.  Interrupt-safe: no command is sent here. */
void vs_evq_drain(struct vs_adapter *a)
{
	struct vs_evq *e = &a->evq;
	const struct vscsi_glue *g = a->glue;
	if (!e->vq || !e->mem || !vs_vq_pending(e->vq))
		return;
	bool reposted = false;
	vs_lock(g, e->lock);
	for (;;) {
		void *cookie;
		uint32_t len;
		int r = virtq_get(e->vq, &cookie, &len);
		if (r == 0)
			break;
		if (r < 0) {
			a->needs_reset = true;
			break;
		}
		uint8_t *buf = cookie;
		size_t off = (size_t)(buf - e->mem);
		if (buf < e->mem || off >= e->mem_size || off % VS_EVT_STRIDE) {
			vs_log(g, VS_LOG_ERR, "vscsi host%u: event queue returned an unknown buffer",
			       a->host);
			continue;
		}
		if (e->pend_head - e->pend_tail < VS_EVT_PENDING)
			vs_memcpy(&e->pending[e->pend_head++ % VS_EVT_PENDING], buf,
				  sizeof(struct virtio_scsi_event));
		else
			e->pend_overflow = true; /* handled like EVENTS_MISSED */
		post_buffer(a, (unsigned)(off / VS_EVT_STRIDE));
		reposted = true;
	}
	if (reposted)
		virtq_kick(e->vq);
	vs_unlock(g, e->lock);
}

bool vs_adapter_events_pending(const struct vs_adapter *a)
{
	const struct vs_evq *e = &a->evq;
	return __atomic_load_n(&e->pend_head, __ATOMIC_ACQUIRE) != e->pend_tail ||
	       __atomic_load_n(&e->pend_overflow, __ATOMIC_ACQUIRE);
}

/* The 16 bytes of virtio 1.2 §5.6.6.3: event (bit 31 EVENTS_MISSED), the
 * LUN field, reason; PARAM_CHANGE carries ASC in bits 0-7 of the reason
 * and ASCQ in bits 8-15. */
static void decode_event(const struct virtio_scsi_event *raw, struct vs_adapter_event *ev)
{
	vs_memset(ev, 0, sizeof(*ev));
	uint32_t word = vs_le32(raw->event);
	ev->missed = word & VIRTIO_SCSI_T_EVENTS_MISSED;
	ev->event = word & ~VIRTIO_SCSI_T_EVENTS_MISSED;
	ev->reason = vs_le32(raw->reason);
	ev->addressed = vs_lun_decode(raw->lun, &ev->target, &ev->lun) == 0;
	if (ev->event == VIRTIO_SCSI_T_PARAM_CHANGE) {
		ev->asc = (uint8_t)ev->reason;
		ev->ascq = (uint8_t)(ev->reason >> 8);
	}
}

bool vs_adapter_next_event(struct vs_adapter *a, struct vs_adapter_event *ev, bool *lost)
{
	struct vs_evq *e = &a->evq;
	struct virtio_scsi_event raw;
	bool have = false;
	vs_lock(a->glue, e->lock);
	if (e->pend_tail != e->pend_head) {
		raw = e->pending[e->pend_tail++ % VS_EVT_PENDING];
		have = true;
	}
	if (e->pend_overflow) {
		e->pend_overflow = false;
		*lost = true;
	}
	vs_unlock(a->glue, e->lock);
	if (have)
		decode_event(&raw, ev);
	return have;
}
