/*
 * control.c - the control queue (virtio 1.2 §5.6.6.2): task management
 * functions and asynchronous-notification query/subscribe.
 *
 *   vs_ctl_init / vs_ctl_free    the request slots (virtio 1.2 §5.6.6.2)
 *   vs_ctl_drain / vs_ctl_reclaim  answers, and slots a reset took back
 *   vs_adapter_tmf               one TMF, then the request queues drained
 *   vs_adapter_an                AN_QUERY / AN_SUBSCRIBE
 *
 * Each request is exactly 24+1 (TMF) or 16+5 (AN) bytes with no data
 * buffer: QEMU reads extra buffers as payload and breaks the device when
 * both sides have some (Linux fixed the same mistake in commit
 * 3722e6a52174).  The wait has a timeout (a device that never answers
 * must not hang us), and afterwards every request queue is drained,
 * because the device completes the affected commands before the TMF
 * (virtio 1.2 §5.6.6.2) and their completions may not have been seen yet.
 */
#include "virtio_scsi/internal.h"

#define CTL_STRIDE 64
#define CTL_UNWRITTEN 0xff
#define TMF_DEFAULT_MS 10000u

int vs_ctl_init(struct vs_adapter *a)
{
	const struct vscsi_glue *g = a->glue;
	uint64_t bus;
	a->ctl.mem_size = (size_t)VS_CTL_SLOTS * 2 * CTL_STRIDE;
	a->ctl.mem = g->dma_alloc(g->ctx, a->ctl.mem_size, 64, &bus);
	if (!a->ctl.mem)
		return -VSCSI_ENOMEM;
	uint8_t *m = a->ctl.mem;
	for (unsigned i = 0; i < VS_CTL_SLOTS; i++) {
		struct vs_ctl_slot *s = &a->ctl.slot[i];
		/* Request and response in separate cache lines: the device
		 * writes one, the CPU the other (Linux 2678369e8efe). */
		s->out = m + 2 * CTL_STRIDE * i;
		s->out_bus = bus + 2 * CTL_STRIDE * i;
		s->in = s->out + CTL_STRIDE;
		s->in_bus = s->out_bus + CTL_STRIDE;
	}
	a->ctl.lock = vs_lock_create(g);
	return 0;
}

void vs_ctl_free(struct vs_adapter *a)
{
	const struct vscsi_glue *g = a->glue;
	if (a->ctl.mem)
		g->dma_free(g->ctx, a->ctl.mem, a->ctl.mem_size);
	if (a->ctl.lock && g->lock_destroy)
		g->lock_destroy(g->ctx, a->ctl.lock);
	a->ctl.mem = NULL;
	a->ctl.lock = NULL;
}

/* The busy, unanswered slot a cookie names, or NULL (not trusted). */
static struct vs_ctl_slot *slot_of(struct vs_adapter *a, void *cookie)
{
	for (unsigned i = 0; i < VS_CTL_SLOTS; i++)
		if (cookie == &a->ctl.slot[i] && a->ctl.slot[i].busy && !a->ctl.slot[i].done)
			return &a->ctl.slot[i];
	return NULL;
}

/* A slot whose waiter gave up stays busy until the device returns it. */
static void mark_answered(struct vs_ctl_slot *s, bool failed)
{
	s->failed = failed;
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
}

void vs_ctl_drain(struct vs_adapter *a)
{
	const struct vscsi_glue *g = a->glue;
	if (!a->ctl.vq || !vs_vq_pending(a->ctl.vq))
		return;
	vs_lock(g, a->ctl.lock);
	for (;;) {
		void *cookie;
		uint32_t len;
		int r = virtq_get(a->ctl.vq, &cookie, &len);
		if (r == 0)
			break;
		if (r < 0) {
			a->needs_reset = true;
			break;
		}
		struct vs_ctl_slot *s = slot_of(a, cookie);
		if (!s) {
			vs_log(g, VS_LOG_ERR, "vscsi host%u: control queue returned an unknown buffer",
			       a->host);
			continue;
		}
		mark_answered(s, false);
	}
	vs_unlock(g, a->ctl.lock);
}

static void reclaim_one(void *cookie, void *arg)
{
	struct vs_ctl_slot *s = slot_of(arg, cookie);
	if (s)
		mark_answered(s, true);
}

void vs_ctl_abandon(struct vs_adapter *a)
{
	/* The device may still write the slots it holds: they are answered
	 * (failed) for their waiters and stay busy for ever. */
	vs_lock(a->glue, a->ctl.lock);
	for (unsigned i = 0; i < VS_CTL_SLOTS; i++)
		if (a->ctl.slot[i].busy && !a->ctl.slot[i].done)
			mark_answered(&a->ctl.slot[i], true);
	vs_unlock(a->glue, a->ctl.lock);
}

void vs_ctl_reclaim(struct vs_adapter *a)
{
	if (!a->ctl.vq)
		return;
	vs_lock(a->glue, a->ctl.lock);
	virtq_reclaim(a->ctl.vq, reclaim_one, a);
	/* Abandoned slots are free again: the device owns nothing now. */
	for (unsigned i = 0; i < VS_CTL_SLOTS; i++)
		if (a->ctl.slot[i].busy && a->ctl.slot[i].done)
			a->ctl.slot[i].busy = false;
	vs_unlock(a->glue, a->ctl.lock);
}

/* A free slot, waiting until `deadline` for one; abandoned slots whose
 * answer finally came are freed on the way. */
static struct vs_ctl_slot *take_slot(struct vs_adapter *a, uint64_t deadline)
{
	const struct vscsi_glue *g = a->glue;
	struct vs_ctl_slot *s = NULL;
	while (!s) {
		vs_ctl_drain(a);
		vs_lock(g, a->ctl.lock);
		for (unsigned i = 0; i < VS_CTL_SLOTS && !s; i++) {
			struct vs_ctl_slot *x = &a->ctl.slot[i];
			if (x->busy && x->done)
				x->busy = false;
			if (!x->busy) {
				s = x;
				s->busy = true;
				s->done = false;
				s->failed = false;
			}
		}
		vs_unlock(g, a->ctl.lock);
		if (!s && vs_now(g) > deadline)
			return NULL;
	}
	return s;
}

/* Send one control request of out_len/in_len bytes (virtio 1.2 §5.6.6.2:
 * one device-readable and one device-writable buffer) and wait for it. */
static int control_exec(struct vs_adapter *a, const void *out, uint32_t out_len, void *in,
			uint32_t in_len, uint32_t timeout_ms)
{
	const struct vscsi_glue *g = a->glue;
	if (a->dead)
		return -VSCSI_ENODEV;
	if (a->resetting)
		return -VSCSI_EAGAIN;
	uint64_t deadline = vs_now(g) + (uint64_t)timeout_ms * 1000000u;
	struct vs_ctl_slot *s = take_slot(a, deadline);
	if (!s)
		return -VSCSI_EBUSY;

	vs_memcpy(s->out, out, out_len);
	vs_memset(s->in, CTL_UNWRITTEN, in_len);
	struct virtq_buf ob = { s->out_bus, out_len }, ib = { s->in_bus, in_len };
	vs_lock(g, a->ctl.lock);
	int r = virtq_add(a->ctl.vq, &ob, 1, &ib, 1, s);
	if (r == 0)
		virtq_kick(a->ctl.vq);
	else
		s->busy = false;
	vs_unlock(g, a->ctl.lock);
	if (r < 0)
		return r == -VSCSI_ENOSPC ? -VSCSI_EAGAIN : -VSCSI_EIO;

	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		if (a->dead)
			return -VSCSI_ENODEV; /* the slot stays with the device */
		if (virtio_intr_mode(a->dev) == VIRTIO_INTR_POLL)
			virtio_poll(a->dev);
		vs_ctl_drain(a);
		if (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE))
			break;
		if (vs_now(g) > deadline) {
			/* Leave the slot with the device; a reset reclaims it. */
			return -VSCSI_ETIMEDOUT;
		}
		vs_delay_us(g, 10);
	}
	bool failed = s->failed;
	if (failed && a->dead)
		return -VSCSI_ENODEV; /* abandoned: the slot is never used again */
	vs_memcpy(in, s->in, in_len);
	vs_lock(g, a->ctl.lock);
	s->busy = false;
	vs_unlock(g, a->ctl.lock);
	return failed ? -VSCSI_ECONNRESET : 0;
}

/* The TMF subtypes of virtio 1.2 §5.6.6.2 are numbered as enum vscsi_tmf;
 * their names are those of SAM-5 §7. */
const char *vscsi_tmf_name(enum vscsi_tmf tmf)
{
	static const char *const names[] = {
		"ABORT TASK", "ABORT TASK SET", "CLEAR ACA", "CLEAR TASK SET",
		"I_T NEXUS RESET", "LOGICAL UNIT RESET", "QUERY TASK", "QUERY TASK SET",
	};
	return (unsigned)tmf < VS_ARRAY_SIZE(names) ? names[tmf] : "UNKNOWN TMF";
}

/* vs_adapter_tmf - virtio 1.2 §5.6.6.2, VIRTIO_SCSI_T_TMF. */
int vs_adapter_tmf(struct vs_adapter *a, unsigned target, unsigned lun, enum vscsi_tmf tmf,
		   uint64_t tag, uint32_t timeout_ms, uint8_t *response)
{
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
		a->aborts++;
	else if (tmf == VSCSI_TMF_LOGICAL_UNIT_RESET)
		a->lun_resets++;
	else if (tmf == VSCSI_TMF_I_T_NEXUS_RESET)
		a->nexus_resets++;

	uint32_t ms = timeout_ms ? timeout_ms : TMF_DEFAULT_MS;
	int r = control_exec(a, &req, sizeof(req), &resp, sizeof(resp), ms);
	/* The affected commands are in the used rings already (virtio 1.2 §5.6.6.2). */
	if (!a->dead && !a->resetting)
		vs_drain_requests(a);
	if (r == -VSCSI_ETIMEDOUT)
		vs_log(a->glue, VS_LOG_WARN,
		       "vscsi host%u: %s to %u:%u (tag %#llx): no answer within %u ms", a->host,
		       vscsi_tmf_name(tmf), target, lun, (unsigned long long)tag, ms);
	else if (r < 0)
		vs_log(a->glue, VS_LOG_WARN, "vscsi host%u: %s to %u:%u (tag %#llx): %s", a->host,
		       vscsi_tmf_name(tmf), target, lun, (unsigned long long)tag,
		       vscsi_strerror(r));
	if (r < 0)
		return r;
	if (response)
		*response = resp.response;
	vs_log(a->glue, VS_LOG_INFO, "vscsi host%u: %s to %u:%u (tag %#llx): %s", a->host,
	       vscsi_tmf_name(tmf), target, lun, (unsigned long long)tag,
	       resp.response == VSCSI_S_OK ? "FUNCTION COMPLETE"
					   : vscsi_response_name(resp.response));
	if (resp.response == CTL_UNWRITTEN)
		return -VSCSI_EPROTO;
	return 0;
}

/* vs_adapter_an - virtio 1.2 §5.6.6.2, VIRTIO_SCSI_T_AN_QUERY / _SUBSCRIBE. */
int vs_adapter_an(struct vs_adapter *a, bool subscribe, unsigned target, unsigned lun,
		  uint32_t events, uint32_t *actual, uint8_t *response)
{
	if (target > 255 || lun > 16383)
		return -VSCSI_EINVAL;
	struct virtio_scsi_ctrl_an_req req;
	struct virtio_scsi_ctrl_an_resp resp;
	vs_memset(&req, 0, sizeof(req));
	vs_put_le32(req.type, subscribe ? VIRTIO_SCSI_T_AN_SUBSCRIBE : VIRTIO_SCSI_T_AN_QUERY);
	vs_lun_encode(req.lun, target, lun);
	vs_put_le32(req.event_requested, events);
	int r = control_exec(a, &req, sizeof(req), &resp, sizeof(resp), TMF_DEFAULT_MS);
	if (r < 0)
		return r;
	if (resp.response == CTL_UNWRITTEN)
		return -VSCSI_EPROTO;
	if (actual)
		*actual = vs_le32(resp.event_actual);
	if (response)
		*response = resp.response;
	return 0;
}
