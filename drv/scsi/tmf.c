/*
 * tmf.c - the control queue (virtio 1.2 §5.6.6.2): task management
 * functions and asynchronous-notification query/subscribe.
 *
 * Each request is exactly 24+1 (TMF) or 16+5 (AN) bytes with no data
 * buffer: QEMU reads extra buffers as payload and breaks the device when
 * both sides have some (Linux 3722e6a52174).  The wait has a timeout (a
 * device that never answers must not hang us), and afterwards every
 * request queue is drained, because the device completes the affected
 * commands before the TMF (§5.6.6.2) and their completions may not have
 * been seen yet.
 */
#include "scsi/internal.h"

#define VS_CTL_STRIDE 64
#define VS_CTL_UNWRITTEN 0xff
#define VS_TMF_DEFAULT_MS 10000u

int vs_ctl_init(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	uint64_t bus;
	c->ctl.mem_size = (size_t)VS_CTL_SLOTS * 2 * VS_CTL_STRIDE;
	c->ctl.mem = g->dma_alloc(g->ctx, c->ctl.mem_size, 64, &bus);
	if (!c->ctl.mem)
		return -VSCSI_ENOMEM;
	uint8_t *m = c->ctl.mem;
	for (unsigned i = 0; i < VS_CTL_SLOTS; i++) {
		struct vs_ctl_slot *s = &c->ctl.slot[i];
		/* Request and response in separate cache lines: the device
		 * writes one, the CPU the other (Linux 2678369e8efe). */
		s->out = m + 2 * VS_CTL_STRIDE * i;
		s->out_bus = bus + 2 * VS_CTL_STRIDE * i;
		s->in = s->out + VS_CTL_STRIDE;
		s->in_bus = s->out_bus + VS_CTL_STRIDE;
	}
	c->ctl.lock = vs_lock_create(g);
	return 0;
}

void vs_ctl_free(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	if (c->ctl.mem)
		g->dma_free(g->ctx, c->ctl.mem, c->ctl.mem_size);
	if (c->ctl.lock && g->lock_destroy)
		g->lock_destroy(g->ctx, c->ctl.lock);
	c->ctl.mem = NULL;
	c->ctl.lock = NULL;
}

static struct vs_ctl_slot *vs_ctl_slot_of(struct vscsi_ctrl *c, void *cookie)
{
	for (unsigned i = 0; i < VS_CTL_SLOTS; i++)
		if (cookie == &c->ctl.slot[i] && c->ctl.slot[i].busy && !c->ctl.slot[i].done)
			return &c->ctl.slot[i];
	return NULL;
}

/* A slot whose waiter gave up stays busy until the device returns it. */
static void vs_ctl_complete(struct vs_ctl_slot *s, bool failed)
{
	s->failed = failed;
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
}

void vs_ctl_drain(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	if (!c->ctl.vq || !vs_vq_pending(c->ctl.vq))
		return;
	vs_lock(g, c->ctl.lock);
	for (;;) {
		void *cookie;
		uint32_t len;
		int r = virtq_get(c->ctl.vq, &cookie, &len);
		if (r == 0)
			break;
		if (r < 0) {
			c->needs_reset = true;
			break;
		}
		struct vs_ctl_slot *s = vs_ctl_slot_of(c, cookie);
		if (!s) {
			vs_log(g, VS_LOG_ERR, "vscsi host%u: control queue returned an unknown buffer",
			       c->host);
			continue;
		}
		vs_ctl_complete(s, false);
	}
	vs_unlock(g, c->ctl.lock);
}

static void vs_ctl_reclaim_one(void *cookie, void *arg)
{
	struct vs_ctl_slot *s = vs_ctl_slot_of(arg, cookie);
	if (s)
		vs_ctl_complete(s, true);
}

void vs_ctl_reclaim(struct vscsi_ctrl *c)
{
	if (!c->ctl.vq)
		return;
	vs_lock(c->glue, c->ctl.lock);
	virtq_reclaim(c->ctl.vq, vs_ctl_reclaim_one, c);
	/* Abandoned slots are free again: the device owns nothing now. */
	for (unsigned i = 0; i < VS_CTL_SLOTS; i++)
		if (c->ctl.slot[i].busy && c->ctl.slot[i].done)
			c->ctl.slot[i].busy = false;
	vs_unlock(c->glue, c->ctl.lock);
}

/* Send one control request of out_len/in_len bytes and wait for it. */
static int vs_ctl_exec(struct vscsi_ctrl *c, const void *out, uint32_t out_len, void *in,
		       uint32_t in_len, uint32_t timeout_ms)
{
	const struct vscsi_glue *g = c->glue;
	if (c->dead)
		return -VSCSI_ENODEV;
	if (c->resetting)
		return -VSCSI_EAGAIN;
	struct vs_ctl_slot *s = NULL;
	uint64_t deadline = vs_now(c) + (uint64_t)timeout_ms * 1000000u;

	/* A free slot; abandoned ones whose answer finally came are freed. */
	while (!s) {
		vs_ctl_drain(c);
		vs_lock(g, c->ctl.lock);
		for (unsigned i = 0; i < VS_CTL_SLOTS && !s; i++) {
			struct vs_ctl_slot *x = &c->ctl.slot[i];
			if (x->busy && x->done)
				x->busy = false;
			if (!x->busy) {
				s = x;
				s->busy = true;
				s->done = false;
				s->failed = false;
			}
		}
		vs_unlock(g, c->ctl.lock);
		if (!s && vs_now(c) > deadline)
			return -VSCSI_EBUSY;
	}

	vs_memcpy(s->out, out, out_len);
	vs_memset(s->in, VS_CTL_UNWRITTEN, in_len);
	struct virtq_buf ob = { s->out_bus, out_len }, ib = { s->in_bus, in_len };
	vs_lock(g, c->ctl.lock);
	int r = virtq_add(c->ctl.vq, &ob, 1, &ib, 1, s);
	if (r == 0)
		virtq_kick(c->ctl.vq);
	else
		s->busy = false;
	vs_unlock(g, c->ctl.lock);
	if (r < 0)
		return r == -VSCSI_ENOSPC ? -VSCSI_EAGAIN : -VSCSI_EIO;

	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		if (virtio_intr_mode(c->dev) == VIRTIO_INTR_POLL)
			virtio_poll(c->dev);
		vs_ctl_drain(c);
		if (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE))
			break;
		if (vs_now(c) > deadline) {
			/* Leave the slot with the device; a reset reclaims it. */
			vs_log(g, VS_LOG_WARN, "vscsi host%u: control request timed out", c->host);
			return -VSCSI_ETIMEDOUT;
		}
		if (g->delay_us)
			g->delay_us(g->ctx, 10);
	}
	bool failed = s->failed;
	vs_memcpy(in, s->in, in_len);
	vs_lock(g, c->ctl.lock);
	s->busy = false;
	vs_unlock(g, c->ctl.lock);
	return failed ? -VSCSI_ECONNRESET : 0;
}

const char *vscsi_tmf_name(enum vscsi_tmf tmf)
{
	static const char *const names[] = {
		"ABORT TASK", "ABORT TASK SET", "CLEAR ACA", "CLEAR TASK SET",
		"I_T NEXUS RESET", "LOGICAL UNIT RESET", "QUERY TASK", "QUERY TASK SET",
	};
	return (unsigned)tmf < VS_ARRAY_SIZE(names) ? names[tmf] : "UNKNOWN TMF";
}

int vscsi_tmf(struct vscsi_ctrl *c, unsigned target, unsigned lun, enum vscsi_tmf tmf,
	      uint64_t tag, uint32_t timeout_ms, uint8_t *response)
{
	if (!c)
		return -VSCSI_EINVAL;
	if (target > 255 || lun > 16383 || (unsigned)tmf > VSCSI_TMF_QUERY_TASK_SET)
		return -VSCSI_EINVAL;
	struct virtio_scsi_ctrl_tmf_req req;
	struct virtio_scsi_ctrl_tmf_resp resp;
	vs_memset(&req, 0, sizeof(req));
	vs_put_le32(req.type, VIRTIO_SCSI_T_TMF);
	vs_put_le32(req.subtype, (uint32_t)tmf);
	vs_lun_encode(req.lun, target, lun);
	vs_put_le64(req.id, tag);
	if (tmf == VSCSI_TMF_ABORT_TASK || tmf == VSCSI_TMF_ABORT_TASK_SET ||
	    tmf == VSCSI_TMF_CLEAR_TASK_SET)
		c->stats.aborts++;
	else if (tmf == VSCSI_TMF_LOGICAL_UNIT_RESET || tmf == VSCSI_TMF_I_T_NEXUS_RESET)
		c->stats.lun_resets++;

	int r = vs_ctl_exec(c, &req, sizeof(req), &resp, sizeof(resp),
			    timeout_ms ? timeout_ms : VS_TMF_DEFAULT_MS);
	/* The affected commands are in the used rings already (§5.6.6.2). */
	if (!c->dead && !c->resetting)
		vs_drain_requests(c);
	if (r < 0)
		return r;
	if (response)
		*response = resp.response;
	vs_log(c->glue, VS_LOG_INFO, "vscsi host%u: %s to %u:%u (tag %#llx): %s", c->host,
	       vscsi_tmf_name(tmf), target, lun, (unsigned long long)tag,
	       resp.response == VSCSI_S_OK ? "FUNCTION COMPLETE"
					   : vscsi_response_name(resp.response));
	if (resp.response == VS_CTL_UNWRITTEN)
		return -VSCSI_EPROTO;
	return 0;
}

static int vs_an(struct vscsi_ctrl *c, uint32_t type, unsigned target, unsigned lun,
		 uint32_t events, uint32_t *actual, uint8_t *response)
{
	if (!c)
		return -VSCSI_EINVAL;
	if (target > 255 || lun > 16383)
		return -VSCSI_EINVAL;
	struct virtio_scsi_ctrl_an_req req;
	struct virtio_scsi_ctrl_an_resp resp;
	vs_memset(&req, 0, sizeof(req));
	vs_put_le32(req.type, type);
	vs_lun_encode(req.lun, target, lun);
	vs_put_le32(req.event_requested, events);
	int r = vs_ctl_exec(c, &req, sizeof(req), &resp, sizeof(resp), VS_TMF_DEFAULT_MS);
	if (r < 0)
		return r;
	if (resp.response == VS_CTL_UNWRITTEN)
		return -VSCSI_EPROTO;
	if (actual)
		*actual = vs_le32(resp.event_actual);
	if (response)
		*response = resp.response;
	return 0;
}

int vscsi_an_query(struct vscsi_ctrl *c, unsigned target, unsigned lun, uint32_t events,
		   uint32_t *actual, uint8_t *response)
{
	return vs_an(c, VIRTIO_SCSI_T_AN_QUERY, target, lun, events, actual, response);
}

int vscsi_an_subscribe(struct vscsi_ctrl *c, unsigned target, unsigned lun, uint32_t events,
		       uint32_t *actual, uint8_t *response)
{
	return vs_an(c, VIRTIO_SCSI_T_AN_SUBSCRIBE, target, lun, events, actual, response);
}
