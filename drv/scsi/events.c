/*
 * events.c - the event queue (virtio 1.2 §5.6.6.3).
 *
 * The driver keeps `nbufs` device-writable buffers posted, each in its own
 * cache line (Linux 2678369e8efe).  When one comes back its 16 bytes are
 * copied to a pending ring and the buffer is posted again at once, so the
 * queue stays stocked even while events wait; the events are acted on
 * later, from vscsi_poll(), because acting means sending commands
 * (rescans), which cannot happen in interrupt context.
 */
#include "scsi/internal.h"

int vs_evq_init(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	struct vs_evq *e = &c->evq;
	e->nbufs = c->opts.event_buffers ? c->opts.event_buffers : 8;
	if (e->nbufs > VS_EVT_MAX_BUFS)
		e->nbufs = VS_EVT_MAX_BUFS;
	if (e->nbufs > virtq_size(e->vq))
		e->nbufs = virtq_size(e->vq);
	/* At least the 16-byte event (MUST), event_info_size if it fits (SHOULD). */
	uint32_t len = c->event_info_size;
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

void vs_evq_free(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	if (c->evq.mem)
		g->dma_free(g->ctx, c->evq.mem, c->evq.mem_size);
	if (c->evq.lock && g->lock_destroy)
		g->lock_destroy(g->ctx, c->evq.lock);
	c->evq.mem = NULL;
	c->evq.lock = NULL;
}

/* Post buffer i; the caller holds the eventq lock and kicks. */
static int vs_evq_post(struct vscsi_ctrl *c, unsigned i)
{
	struct vs_evq *e = &c->evq;
	uint8_t *buf = e->mem + (size_t)i * VS_EVT_STRIDE;
	vs_memset(buf, 0, VS_EVT_STRIDE);
	struct virtq_buf b = { e->mem_bus + (uint64_t)i * VS_EVT_STRIDE, e->buf_len };
	int r = virtq_add(e->vq, NULL, 0, &b, 1, buf);
	if (r < 0)
		vs_log(c->glue, VS_LOG_WARN, "vscsi host%u: cannot post event buffer %u (%d)",
		       c->host, i, r);
	return r;
}

void vs_event_post_all(struct vscsi_ctrl *c)
{
	struct vs_evq *e = &c->evq;
	vs_lock(c->glue, e->lock);
	for (unsigned i = 0; i < e->nbufs; i++)
		vs_evq_post(c, i);
	virtq_kick(e->vq);
	vs_unlock(c->glue, e->lock);
}

void vs_evq_drain(struct vscsi_ctrl *c)
{
	struct vs_evq *e = &c->evq;
	const struct vscsi_glue *g = c->glue;
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
			c->needs_reset = true;
			break;
		}
		uint8_t *buf = cookie;
		size_t off = (size_t)(buf - e->mem);
		if (buf < e->mem || off >= e->mem_size || off % VS_EVT_STRIDE) {
			vs_log(g, VS_LOG_ERR, "vscsi host%u: event queue returned an unknown buffer",
			       c->host);
			continue;
		}
		if (e->pend_head - e->pend_tail < VS_EVT_PENDING)
			vs_memcpy(&e->pending[e->pend_head++ % VS_EVT_PENDING], buf,
				  sizeof(struct virtio_scsi_event));
		else
			e->pend_overflow = true; /* handled like EVENTS_MISSED */
		vs_evq_post(c, (unsigned)(off / VS_EVT_STRIDE));
		reposted = true;
	}
	if (reposted)
		virtq_kick(e->vq);
	vs_unlock(g, e->lock);
}

static void vs_event_record(struct vscsi_ctrl *c, const struct vscsi_event *ev)
{
	struct vs_evq *e = &c->evq;
	e->history[e->hist_count++ % VS_EVT_HISTORY] = *ev;
}

unsigned vscsi_event_history(const struct vscsi_ctrl *c, struct vscsi_event *out, unsigned max)
{
	const struct vs_evq *e = &c->evq;
	unsigned have = e->hist_count < VS_EVT_HISTORY ? e->hist_count : VS_EVT_HISTORY;
	unsigned n = have < max ? have : max;
	unsigned first = e->hist_count - n;
	for (unsigned i = 0; i < n; i++)
		out[i] = e->history[(first + i) % VS_EVT_HISTORY];
	return n;
}

/* One event; returns true when a full rescan is needed. */
static bool vs_event_handle(struct vscsi_ctrl *c, const struct virtio_scsi_event *raw)
{
	const struct vscsi_glue *g = c->glue;
	struct vscsi_event ev = { 0 };
	uint32_t word = vs_le32(raw->event);
	ev.missed = word & VIRTIO_SCSI_T_EVENTS_MISSED;
	ev.event = word & ~VIRTIO_SCSI_T_EVENTS_MISSED;
	ev.reason = vs_le32(raw->reason);
	ev.time_ns = vs_now(c);
	bool addressed = vs_lun_decode(raw->lun, &ev.target, &ev.lun) == 0;
	vs_event_record(c, &ev);
	c->stats.events++;
	bool rescan_all = ev.missed;

	switch (ev.event) {
	case VIRTIO_SCSI_T_NO_EVENT:
		break;
	case VIRTIO_SCSI_T_TRANSPORT_RESET:
		if (!addressed) {
			vs_log(g, VS_LOG_WARN, "vscsi host%u: transport reset event with bad LUN",
			       c->host);
			rescan_all = true;
			break;
		}
		vs_log(g, VS_LOG_INFO, "vscsi host%u: event: transport reset (%s) for %u:%u",
		       c->host,
		       ev.reason == VIRTIO_SCSI_EVT_RESET_RESCAN    ? "rescan"
		       : ev.reason == VIRTIO_SCSI_EVT_RESET_REMOVED ? "removed"
		       : ev.reason == VIRTIO_SCSI_EVT_RESET_HARD    ? "hard"
								    : "unknown reason",
		       ev.target, ev.lun);
		if (ev.reason == VIRTIO_SCSI_EVT_RESET_RESCAN ||
		    ev.reason == VIRTIO_SCSI_EVT_RESET_REMOVED) {
			/* §5.6.6.3: for LUN 0 the event may mean the whole target. */
			if (ev.lun == 0) {
				vs_scan_target(c, ev.target, true);
			} else if (ev.reason == VIRTIO_SCSI_EVT_RESET_RESCAN) {
				vs_scan_lun(c, ev.target, ev.lun);
			} else {
				struct vscsi_lun *l = vs_lun_lookup(c, ev.target, ev.lun);
				if (l)
					vs_lun_mark_gone(l);
			}
		} else {
			/* HARD: the LUN was reset; look at it again. */
			struct vscsi_lun *l = vs_lun_lookup(c, ev.target, ev.lun);
			if (l && !l->info.gone)
				vscsi_lun_revalidate(l);
		}
		break;
	case VIRTIO_SCSI_T_PARAM_CHANGE: {
		uint8_t asc = (uint8_t)ev.reason, ascq = (uint8_t)(ev.reason >> 8);
		const char *t = scsi_asc_text(asc, ascq);
		vs_log(g, VS_LOG_INFO, "vscsi host%u: event: parameters changed for %u:%u: "
		       "%02x/%02x %s", c->host, ev.target, ev.lun, asc, ascq, t ? t : "");
		struct vscsi_lun *l = addressed ? vs_lun_lookup(c, ev.target, ev.lun) : NULL;
		if (l && !l->info.gone && asc == 0x2a)
			vscsi_lun_revalidate(l); /* capacity / mode parameters */
		break;
	}
	case VIRTIO_SCSI_T_ASYNC_NOTIFY: {
		vs_log(g, VS_LOG_INFO, "vscsi host%u: event: asynchronous notification %#x for %u:%u",
		       c->host, ev.reason, ev.target, ev.lun);
		struct vscsi_lun *l = addressed ? vs_lun_lookup(c, ev.target, ev.lun) : NULL;
		if (l && !l->info.gone && (ev.reason & VSCSI_AN_MEDIA_CHANGE))
			vscsi_lun_revalidate(l);
		break;
	}
	default:
		vs_log(g, VS_LOG_WARN, "vscsi host%u: unknown event %#x reason %#x", c->host,
		       ev.event, ev.reason);
		break;
	}
	return rescan_all;
}

void vs_events_process(struct vscsi_ctrl *c)
{
	struct vs_evq *e = &c->evq;
	if (c->in_events || c->dead)
		return;
	/* Unlocked look first (every poll pass comes here): a stale answer
	 * only defers an event to the next pass. */
	if (__atomic_load_n(&e->pend_head, __ATOMIC_ACQUIRE) == e->pend_tail &&
	    !__atomic_load_n(&e->pend_overflow, __ATOMIC_ACQUIRE))
		return;
	c->in_events = true;
	bool rescan_all = false;
	for (;;) {
		struct virtio_scsi_event raw;
		bool have = false;
		vs_lock(c->glue, e->lock);
		if (e->pend_tail != e->pend_head) {
			raw = e->pending[e->pend_tail++ % VS_EVT_PENDING];
			have = true;
		}
		if (e->pend_overflow) {
			e->pend_overflow = false;
			rescan_all = true;
		}
		vs_unlock(c->glue, e->lock);
		if (!have)
			break;
		if (vs_event_handle(c, &raw))
			rescan_all = true;
	}
	if (rescan_all) {
		/* §5.6.6.3: events were lost; find new LUNs and drop vanished ones. */
		c->stats.events_missed++;
		vs_log(c->glue, VS_LOG_INFO, "vscsi host%u: events were missed: rescanning",
		       c->host);
		vs_scan(c);
	}
	c->in_events = false;
}
