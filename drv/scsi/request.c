/*
 * request.c - command requests on the request queues (virtio 1.2 §5.6.6.1):
 * the per-queue pool of request slots allocated at bring-up, building the
 * descriptor chain (header, data-out | response, data-in), draining the
 * used ring and decoding the response.  Nothing here allocates memory on
 * the I/O path.
 */
#include "scsi/internal.h"

#define VS_MAX_SEGS 256
#define VS_MAX_DEPTH 256
/* Preset into `response` before submission: a device that completes a
 * request without writing the header is caught (EPROTO), never read as OK. */
#define VS_RESPONSE_UNWRITTEN 0xff

/* --- pool ------------------------------------------------------------------------- */

static void *vs_dma_zalloc(const struct vscsi_glue *g, size_t size, uint64_t *bus)
{
	uint64_t b;
	return g->dma_alloc(g->ctx, size, 64, bus ? bus : &b);
}

void vs_queue_free(struct vscsi_ctrl *c, struct vs_queue *q)
{
	const struct vscsi_glue *g = c->glue;
	if (q->hdr_mem)
		g->dma_free(g->ctx, q->hdr_mem, q->hdr_mem_size);
	if (q->req_mem)
		g->dma_free(g->ctx, q->req_mem, q->req_mem_size);
	if (q->buf_mem)
		g->dma_free(g->ctx, q->buf_mem, q->buf_mem_size);
	if (q->lock && g->lock_destroy)
		g->lock_destroy(g->ctx, q->lock);
	vs_memset(q, 0, sizeof(*q));
}

int vs_queue_init(struct vscsi_ctrl *c, struct vs_queue *q, unsigned vq_index, unsigned depth)
{
	const struct vscsi_glue *g = c->glue;
	q->ctrl = c;
	q->vq_index = vq_index;
	q->vq = virtio_queue(c->dev, vq_index);
	if (!q->vq)
		return -VSCSI_EIO;
	unsigned size = virtq_size(q->vq);
	unsigned n = depth ? depth : VS_MAX_DEPTH;
	if (n > size)
		n = size;
	if (n > VS_MAX_DEPTH)
		n = VS_MAX_DEPTH;
	if (n == 0)
		return -VSCSI_EIO;

	/* Data segments per command: seg_max (§5.6.4), and what one chain of
	 * the queue can carry besides the two headers. */
	unsigned chain = virtq_max_chain(q->vq);
	if (chain < 3) {
		vs_log(g, VS_LOG_ERR, "vscsi: queue %u accepts chains of %u only", vq_index, chain);
		return -VSCSI_EIO;
	}
	unsigned segs = c->seg_max;
	if (segs > chain - 2)
		segs = chain - 2;
	if (segs > VS_MAX_SEGS)
		segs = VS_MAX_SEGS;
	q->max_segs = segs;

	size_t hdr_stride = VS_ALIGN_UP((size_t)c->req_size, 64);
	size_t resp_stride = VS_ALIGN_UP((size_t)c->resp_size, 64);
	/* Halve the pool until the memory is there. */
	for (;;) {
		q->req_mem_size = sizeof(struct vs_req) * n;
		q->hdr_mem_size = (hdr_stride + resp_stride) * n;
		q->buf_mem_size = sizeof(struct virtq_buf) * (segs + 2) * n;
		uint64_t hdr_bus = 0;
		q->req_mem = vs_dma_zalloc(g, q->req_mem_size, NULL);
		q->hdr_mem = vs_dma_zalloc(g, q->hdr_mem_size, &hdr_bus);
		q->buf_mem = vs_dma_zalloc(g, q->buf_mem_size, NULL);
		if (q->req_mem && q->hdr_mem && q->buf_mem) {
			uint8_t *h = q->hdr_mem;
			q->reqs = q->req_mem;
			q->nreqs = n;
			for (unsigned i = 0; i < n; i++) {
				struct vs_req *r = &q->reqs[i];
				size_t off = (hdr_stride + resp_stride) * i;
				r->q = q;
				r->slot = (uint16_t)i;
				r->hdr = h + off;
				r->hdr_bus = hdr_bus + off;
				r->resp = h + off + hdr_stride;
				r->resp_bus = hdr_bus + off + hdr_stride;
				r->bufs = (struct virtq_buf *)q->buf_mem + (size_t)(segs + 2) * i;
				r->next = q->free;
				q->free = r;
			}
			break;
		}
		if (q->req_mem)
			g->dma_free(g->ctx, q->req_mem, q->req_mem_size);
		if (q->hdr_mem)
			g->dma_free(g->ctx, q->hdr_mem, q->hdr_mem_size);
		if (q->buf_mem)
			g->dma_free(g->ctx, q->buf_mem, q->buf_mem_size);
		q->req_mem = q->hdr_mem = q->buf_mem = NULL;
		if (n == 1)
			return -VSCSI_ENOMEM;
		n /= 2;
	}
	q->lock = vs_lock_create(g);
	return 0;
}

/* --- response decoding ------------------------------------------------------------------ */

int vs_response_errno(uint8_t response)
{
	switch (response) {
	case VSCSI_S_OK: return 0;
	case VSCSI_S_OVERRUN: return -VSCSI_EOVERFLOW;
	case VSCSI_S_ABORTED: return -VSCSI_ECANCELED;
	case VSCSI_S_BAD_TARGET: return -VSCSI_ENXIO;
	case VSCSI_S_RESET: return -VSCSI_ECONNRESET;
	case VSCSI_S_BUSY: return -VSCSI_EBUSY;
	case VSCSI_S_TRANSPORT_FAILURE: return -VSCSI_EIO;
	case VSCSI_S_TARGET_FAILURE: return -VSCSI_EIO;
	case VSCSI_S_NEXUS_FAILURE: return -VSCSI_EIO;
	case VSCSI_S_FAILURE: return -VSCSI_EIO;
	case VSCSI_S_INCORRECT_LUN: return -VSCSI_ENXIO; /* QEMU uses it on request queues */
	default: return -VSCSI_EPROTO; /* TMF-only codes, unknown, or never written */
	}
}

int vs_status_errno(uint8_t status)
{
	switch (status) {
	case SCSI_STATUS_GOOD:
	case SCSI_STATUS_CONDITION_MET:
	case SCSI_STATUS_INTERMEDIATE:
	case SCSI_STATUS_INTERMEDIATE_CONDITION_MET:
		return 0;
	case SCSI_STATUS_BUSY:
	case SCSI_STATUS_TASK_SET_FULL:
		return -VSCSI_EBUSY;
	case SCSI_STATUS_TASK_ABORTED:
		return -VSCSI_ECANCELED;
	case SCSI_STATUS_CHECK_CONDITION:
	case SCSI_STATUS_RESERVATION_CONFLICT:
	case SCSI_STATUS_ACA_ACTIVE:
	case SCSI_STATUS_COMMAND_TERMINATED:
		return -VSCSI_EIO;
	default:
		return -VSCSI_EPROTO;
	}
}

const char *vscsi_response_name(uint8_t response)
{
	static const char *const names[] = {
		"OK", "OVERRUN", "ABORTED", "BAD_TARGET", "RESET", "BUSY",
		"TRANSPORT_FAILURE", "TARGET_FAILURE", "NEXUS_FAILURE", "FAILURE",
		"FUNCTION_SUCCEEDED", "FUNCTION_REJECTED", "INCORRECT_LUN",
	};
	if (response < VS_ARRAY_SIZE(names))
		return names[response];
	if (response == VS_RESPONSE_UNWRITTEN)
		return "NO_RESPONSE";
	return "UNKNOWN";
}

/*
 * `response` first; `status` and sense only when it is OK (§5.6.6.1).
 * Device-written lengths are clamped: sense to min(sense_len, sense_size,
 * the caller's buffer), the residual to the data length.
 */
void vs_decode_response(const uint8_t *resp, uint32_t sense_size, uint32_t data_len,
			struct vscsi_cmd *cmd)
{
	const struct virtio_scsi_cmd_resp *r = (const struct virtio_scsi_cmd_resp *)resp;
	cmd->response = r->response;
	cmd->status = 0;
	cmd->sense_len = 0;
	cmd->resid = data_len;
	if (r->response != VSCSI_S_OK) {
		cmd->result = vs_response_errno(r->response);
		return;
	}
	cmd->status = r->status;
	cmd->result = vs_status_errno(r->status);
	uint32_t residual = vs_le32(r->residual);
	cmd->resid = residual > data_len ? data_len : residual;
	uint32_t sl = vs_le32(r->sense_len);
	if (r->status != SCSI_STATUS_GOOD && sl && cmd->sense && cmd->sense_cap) {
		uint32_t n = sl;
		if (n > sense_size)
			n = sense_size;
		if (n > cmd->sense_cap)
			n = cmd->sense_cap;
		vs_memcpy(cmd->sense, r->sense, n);
		cmd->sense_len = n;
	}
}

/* --- submission ----------------------------------------------------------------- */

/* The bytes a command transfers: its list after `sg_skip`, limited to
 * `sg_len` when that is set.  *bad when the list cannot describe them. */
static size_t vs_sg_total(const struct vscsi_cmd *cmd, bool *bad)
{
	uint64_t total = 0;
	*bad = false;
	if (cmd->sg_count && !cmd->sg)
		*bad = true;
	for (unsigned i = 0; !*bad && i < cmd->sg_count; i++) {
		if (cmd->sg[i].len && !cmd->sg[i].addr)
			*bad = true;
		total += cmd->sg[i].len;
		if (total > 0xffffffffull + cmd->sg_skip)
			*bad = true;
	}
	if (*bad)
		return 0;
	if (cmd->sg_skip > total) {
		*bad = true;
		return 0;
	}
	total -= cmd->sg_skip;
	if (cmd->sg_len) {
		if (cmd->sg_len > total) {
			*bad = true;
			return 0;
		}
		total = cmd->sg_len;
	}
	return (size_t)total;
}

/* Walks the caller's list over the command's bytes (skip, then len). */
struct vs_sg_walk {
	const struct vscsi_cmd *cmd;
	unsigned i;    /* current element */
	size_t off;    /* offset in it */
	size_t left;   /* bytes of the command still to visit */
};

static void vs_walk_start(struct vs_sg_walk *w, const struct vscsi_cmd *cmd, size_t total)
{
	w->cmd = cmd;
	w->i = 0;
	w->off = cmd->sg_skip;
	w->left = total;
}

/* The next piece of at most `max` bytes: its address and length (0: end). */
static size_t vs_walk_next(struct vs_sg_walk *w, size_t max, uint8_t **va)
{
	while (w->left && w->i < w->cmd->sg_count && w->off >= w->cmd->sg[w->i].len) {
		w->off -= w->cmd->sg[w->i].len;
		w->i++;
	}
	if (!w->left || w->i >= w->cmd->sg_count)
		return 0;
	size_t n = w->cmd->sg[w->i].len - w->off;
	if (n > w->left)
		n = w->left;
	if (n > max)
		n = max;
	*va = (uint8_t *)w->cmd->sg[w->i].addr + w->off;
	return n;
}

static void vs_walk_advance(struct vs_sg_walk *w, size_t n)
{
	w->off += n;
	w->left -= n;
}

/* Undo the first `nseg` mappings of `rq`'s data: segment k covers the next
 * bufs[k].len bytes of the walk. */
static void vs_unmap_data(struct vscsi_ctrl *c, struct vs_req *rq, const struct vscsi_cmd *cmd,
			  unsigned nseg)
{
	const struct vscsi_glue *g = c->glue;
	if (!g->dma_unmap || !nseg)
		return;
	struct virtq_buf *seg = rq->dma_dir == VSCSI_DMA_TO_DEVICE ? &rq->bufs[1] : &rq->bufs[2];
	struct vs_sg_walk w;
	vs_walk_start(&w, cmd, cmd->data_len);
	for (unsigned k = 0; k < nseg; k++) {
		/* Mapping walked the same way, so segment k starts here and
		 * never spans two list elements. */
		uint8_t *va;
		size_t n = vs_walk_next(&w, seg[k].len, &va);
		if (!n)
			break;
		g->dma_unmap(g->ctx, va, seg[k].addr, seg[k].len, rq->dma_dir);
		vs_walk_advance(&w, n);
	}
}

static int vs_map_data(struct vscsi_ctrl *c, struct vs_req *rq, const struct vscsi_cmd *cmd,
		       size_t total, struct virtq_buf *seg, unsigned max_segs)
{
	const struct vscsi_glue *g = c->glue;
	struct vs_sg_walk w;
	unsigned n = 0;
	vs_walk_start(&w, cmd, total);
	for (;;) {
		uint8_t *va;
		size_t want = vs_walk_next(&w, 0x40000000u, &va);
		if (!want)
			break;
		if (n == max_segs) {
			vs_unmap_data(c, rq, cmd, n);
			return -VSCSI_E2BIG;
		}
		uint64_t bus = 0;
		size_t got = g->dma_map(g->ctx, va, want, rq->dma_dir, &bus);
		if (got == 0 || got > want) {
			vs_unmap_data(c, rq, cmd, n);
			return -VSCSI_EFAULT;
		}
		seg[n].addr = bus;
		seg[n].len = (uint32_t)got;
		n++;
		vs_walk_advance(&w, got);
	}
	return (int)n;
}

static struct vs_queue *vs_pick_queue(struct vscsi_ctrl *c, const struct vscsi_cmd *cmd)
{
	if (cmd->queue != VSCSI_QUEUE_ANY && cmd->queue < c->nrq)
		return &c->rq[cmd->queue];
	unsigned i = __atomic_fetch_add(&c->rr, 1, __ATOMIC_RELAXED);
	return &c->rq[i % c->nrq];
}

static void vs_put_slot(struct vs_queue *q, struct vs_req *rq)
{
	const struct vscsi_glue *g = q->ctrl->glue;
	vs_lock(g, q->lock);
	rq->state = VS_REQ_FREE;
	rq->cmd = NULL;
	rq->lun = NULL;
	rq->timed_out = false;
	rq->next = q->free;
	q->free = rq;
	vs_unlock(g, q->lock);
}

int vs_submit(struct vscsi_ctrl *c, unsigned target, unsigned lun_id, struct vscsi_lun *lun,
	      struct vscsi_cmd *cmd, unsigned flags)
{
	const struct vscsi_glue *g = c->glue;
	cmd->tag = 0; /* stays 0 unless the command reaches the device */
	if (c->dead)
		return -VSCSI_ENODEV;
	if (c->resetting)
		return -VSCSI_EAGAIN;
	if (target > 255 || lun_id > 16383)
		return -VSCSI_EINVAL;
	if (!cmd->cdb || cmd->cdb_len == 0 || cmd->cdb_len > c->cdb_size)
		return -VSCSI_EINVAL;
	bool bad;
	size_t total = vs_sg_total(cmd, &bad);
	if (bad)
		return -VSCSI_EINVAL;
	switch (cmd->dir) {
	case VSCSI_DATA_NONE:
		if (total)
			return -VSCSI_EINVAL;
		break;
	case VSCSI_DATA_TO_DEVICE:
	case VSCSI_DATA_FROM_DEVICE:
		/* A zero-length descriptor breaks the device (§8.5). */
		if (!total)
			return -VSCSI_EINVAL;
		break;
	default:
		return -VSCSI_EINVAL;
	}
	if (total > c->max_transfer)
		return -VSCSI_E2BIG;
	if (lun && lun->info.gone)
		return -VSCSI_ENODEV;
	if (lun) {
		/* §5.6.4: no more than cmd_per_lun outstanding per LUN. */
		unsigned n = __atomic_add_fetch(&lun->inflight, 1, __ATOMIC_ACQ_REL);
		if (n > lun->info.queue_depth && lun->info.queue_depth) {
			__atomic_sub_fetch(&lun->inflight, 1, __ATOMIC_ACQ_REL);
			return -VSCSI_EAGAIN;
		}
	}

	struct vs_queue *q = vs_pick_queue(c, cmd);
	vs_lock(g, q->lock);
	struct vs_req *rq = q->free;
	if (rq) {
		q->free = rq->next;
		rq->state = VS_REQ_DONE; /* ours, not yet the device's */
	}
	vs_unlock(g, q->lock);
	if (!rq) {
		if (lun)
			__atomic_sub_fetch(&lun->inflight, 1, __ATOMIC_ACQ_REL);
		return -VSCSI_EAGAIN;
	}

	/* The tag: slot, queue and a per-slot generation, so no tag is reused
	 * while the device could still refer to an older use of it (nanos #1522,
	 * virtio-win #1296). */
	rq->gen++;
	rq->tag = rq->gen << 24 | (uint64_t)(q - c->rq) << 16 | rq->slot;
	rq->cmd = cmd;
	rq->lun = lun;
	rq->target = (uint8_t)target;
	rq->lun_id = (uint16_t)lun_id;
	rq->timed_out = false;
	rq->dma_dir = cmd->dir == VSCSI_DATA_TO_DEVICE ? VSCSI_DMA_TO_DEVICE : VSCSI_DMA_FROM_DEVICE;
	cmd->data_len = (uint32_t)total; /* the unmap walk uses it */
	cmd->queue_used = (uint16_t)(q - c->rq);

	struct virtio_scsi_cmd_req *h = (struct virtio_scsi_cmd_req *)rq->hdr;
	vs_memset(rq->hdr, 0, c->req_size);
	vs_lun_encode(h->lun, target, lun_id);
	vs_put_le64(h->id, rq->tag);
	h->task_attr = 0; /* SIMPLE; prio and crn 0 (§5.6.6.1 SHOULD) */
	vs_memcpy(h->cdb, cmd->cdb, cmd->cdb_len);
	vs_memset(rq->resp, 0, c->resp_size);
	((struct virtio_scsi_cmd_resp *)rq->resp)->response = VS_RESPONSE_UNWRITTEN;

	/* Chain: [header, data-out...] readable, [response, data-in...]
	 * writable.  bufs[] holds them in that order so each side is one run. */
	struct virtq_buf *b = rq->bufs;
	unsigned n_out, n_in;
	int nseg = 0;
	if (cmd->dir == VSCSI_DATA_TO_DEVICE) {
		nseg = vs_map_data(c, rq, cmd, total, &b[1], q->max_segs);
		if (nseg >= 0) {
			b[0] = (struct virtq_buf){ rq->hdr_bus, c->req_size };
			b[1 + nseg] = (struct virtq_buf){ rq->resp_bus, c->resp_size };
			n_out = 1 + (unsigned)nseg;
			n_in = 1;
		}
	} else {
		if (cmd->dir == VSCSI_DATA_FROM_DEVICE)
			nseg = vs_map_data(c, rq, cmd, total, &b[2], q->max_segs);
		b[0] = (struct virtq_buf){ rq->hdr_bus, c->req_size };
		b[1] = (struct virtq_buf){ rq->resp_bus, c->resp_size };
		n_out = 1;
		n_in = 1 + (unsigned)(nseg > 0 ? nseg : 0);
	}
	if (nseg < 0) {
		vs_put_slot(q, rq);
		if (lun)
			__atomic_sub_fetch(&lun->inflight, 1, __ATOMIC_ACQ_REL);
		return nseg;
	}
	rq->nseg = (unsigned)nseg;

	cmd->result = 1; /* pending */
	cmd->response = VS_RESPONSE_UNWRITTEN;
	cmd->status = 0;
	cmd->sense_len = 0;
	cmd->resid = 0;
	cmd->data_len = (uint32_t)total;
	cmd->tag = rq->tag;
	cmd->duration_ns = 0;
	rq->start_ns = vs_now(c);
	/* State is recorded before the device can see the request, or a fast
	 * completion would find none (asterinas #3475). */
	__atomic_store_n(&cmd->priv_req, rq, __ATOMIC_RELEASE);

	vs_lock(g, q->lock);
	rq->state = VS_REQ_INFLIGHT;
	int r = virtq_add(q->vq, b, n_out, b + n_out, n_in, rq);
	if (r == 0) {
		q->inflight++;
		c->stats.commands++;
		if (flags & VSCSI_SUBMIT_NO_KICK)
			q->kick_pending = true;
		else {
			virtq_kick(q->vq);
			q->kick_pending = false;
		}
	} else {
		rq->state = VS_REQ_DONE;
	}
	vs_unlock(g, q->lock);
	if (r < 0) {
		cmd->tag = 0; /* never sent */
		__atomic_store_n(&cmd->priv_req, NULL, __ATOMIC_RELEASE);
		vs_unmap_data(c, rq, cmd, rq->nseg);
		vs_put_slot(q, rq);
		if (lun)
			__atomic_sub_fetch(&lun->inflight, 1, __ATOMIC_ACQ_REL);
		if (r == -VSCSI_ENOSPC)
			return -VSCSI_EAGAIN;
		if (r == -VSCSI_EPROTO || virtq_is_broken(q->vq)) {
			vs_log(g, VS_LOG_ERR, "vscsi host%u: request queue %u is broken", c->host,
			       q->vq_index);
			c->needs_reset = true;
			return -VSCSI_EIO;
		}
		return r;
	}
	return 0;
}

int vscsi_submit(struct vscsi_ctrl *c, unsigned target, unsigned lun, struct vscsi_cmd *cmd,
		 unsigned flags)
{
	if (!c || !cmd)
		return -VSCSI_EINVAL;
	return vs_submit(c, target, lun, vs_lun_lookup(c, target, lun), cmd, flags);
}

int vscsi_lun_submit(struct vscsi_lun *lun, struct vscsi_cmd *cmd, unsigned flags)
{
	if (!lun || !cmd)
		return -VSCSI_EINVAL;
	return vs_submit(lun->ctrl, lun->info.target, lun->info.lun, lun, cmd, flags);
}

void vscsi_kick(struct vscsi_ctrl *c)
{
	if (!c || c->dead)
		return;
	for (unsigned i = 0; i < c->nrq; i++) {
		struct vs_queue *q = &c->rq[i];
		/* Unlocked look first: a submission racing with it (interrupt
		 * context) is no different from one made just after the kick. */
		if (!__atomic_load_n(&q->kick_pending, __ATOMIC_ACQUIRE))
			continue;
		vs_lock(c->glue, q->lock);
		if (q->kick_pending) {
			virtq_kick(q->vq);
			q->kick_pending = false;
		}
		vs_unlock(c->glue, q->lock);
	}
}

bool vs_cmd_is_done(const struct vscsi_cmd *cmd)
{
	return __atomic_load_n(&cmd->priv_req, __ATOMIC_ACQUIRE) == NULL;
}

struct vs_req *vs_cmd_req(const struct vscsi_cmd *cmd)
{
	return __atomic_load_n(&cmd->priv_req, __ATOMIC_ACQUIRE);
}

/* --- completion ------------------------------------------------------------------- */

/* Finish one request the device gave back (or a reset reclaimed, with
 * `forced` != 0): results into the command, unmap, free the slot, and
 * only then the callback, which may submit again. */
static void vs_finish(struct vscsi_ctrl *c, struct vs_req *rq, int forced)
{
	struct vscsi_cmd *cmd = rq->cmd;
	if (forced) {
		cmd->response = VS_RESPONSE_UNWRITTEN;
		cmd->status = 0;
		cmd->sense_len = 0;
		cmd->resid = cmd->data_len;
		cmd->result = forced;
	} else {
		vs_decode_response(rq->resp, c->sense_size, cmd->data_len, cmd);
		if (cmd->response == VS_RESPONSE_UNWRITTEN)
			vs_log(c->glue, VS_LOG_ERR,
			       "vscsi host%u: %u:%u: command %#x completed without a response",
			       c->host, rq->target, rq->lun_id, cmd->cdb[0]);
		else if (cmd->result == -VSCSI_EPROTO)
			vs_log(c->glue, VS_LOG_ERR,
			       "vscsi host%u: %u:%u: impossible response %u status %#x", c->host,
			       rq->target, rq->lun_id, cmd->response, cmd->status);
	}
	if (rq->timed_out)
		cmd->result = -VSCSI_ETIMEDOUT;
	/* "No such target/LUN" is what most of a scan hears: not an error. */
	if (cmd->result && cmd->result != -VSCSI_ENXIO)
		c->stats.errors++;
	vs_unmap_data(c, rq, cmd, rq->nseg);
	cmd->duration_ns = vs_now(c) - rq->start_ns;
	if (rq->lun)
		__atomic_sub_fetch(&rq->lun->inflight, 1, __ATOMIC_ACQ_REL);
	void (*done)(struct vscsi_cmd *) = cmd->done;
	vs_put_slot(rq->q, rq);
	__atomic_store_n(&cmd->priv_req, NULL, __ATOMIC_RELEASE);
	if (done)
		done(cmd);
}

static bool vs_valid_cookie(const struct vs_queue *q, const void *cookie)
{
	const uint8_t *p = cookie, *base = (const uint8_t *)q->reqs;
	if (p < base || p >= base + sizeof(struct vs_req) * q->nreqs)
		return false;
	if ((size_t)(p - base) % sizeof(struct vs_req))
		return false;
	enum vs_req_state s = ((const struct vs_req *)cookie)->state;
	return s == VS_REQ_INFLIGHT || s == VS_REQ_ABORTING || s == VS_REQ_TIMEDOUT;
}

unsigned vs_queue_drain(struct vs_queue *q)
{
	struct vscsi_ctrl *c = q->ctrl;
	const struct vscsi_glue *g = c->glue;
	struct vs_req *head = NULL, **tail = &head;
	unsigned n = 0;

	if (!vs_vq_pending(q->vq))
		return 0;
	bool intr = virtio_intr_mode(c->dev) != VIRTIO_INTR_POLL;
	vs_lock(g, q->lock);
	if (intr)
		virtq_disable_cb(q->vq);
	for (;;) {
		void *cookie;
		uint32_t len;
		int r = virtq_get(q->vq, &cookie, &len);
		if (r == 0) {
			/* §2.7.10: re-enable, then look again for a late one. */
			if (intr && virtq_enable_cb(q->vq)) {
				virtq_disable_cb(q->vq);
				continue;
			}
			break;
		}
		if (r < 0) {
			c->needs_reset = true;
			break;
		}
		/* The used length is not looked at: the response header says
		 * everything, and legacy devices may report anything. */
		if (!vs_valid_cookie(q, cookie)) {
			vs_log(g, VS_LOG_ERR, "vscsi host%u: queue %u returned an unknown request",
			       c->host, q->vq_index);
			continue;
		}
		struct vs_req *rq = cookie;
		rq->state = VS_REQ_DONE;
		q->inflight--;
		rq->next = NULL;
		*tail = rq;
		tail = &rq->next;
		n++;
	}
	vs_unlock(g, q->lock);

	while (head) {
		struct vs_req *rq = head;
		head = rq->next;
		vs_finish(c, rq, 0);
	}
	return n;
}

unsigned vs_drain_requests(struct vscsi_ctrl *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->nrq; i++)
		n += vs_queue_drain(&c->rq[i]);
	return n;
}

void vs_drain_all(struct vscsi_ctrl *c)
{
	if (c->dead || c->resetting)
		return;
	vs_drain_requests(c);
	vs_ctl_drain(c);
	vs_evq_drain(c);
}

struct vs_reclaim_ctx {
	struct vs_queue *q;
	struct vs_req **tail;
};

static void vs_reclaim_one(void *cookie, void *arg)
{
	struct vs_reclaim_ctx *x = arg;
	if (!vs_valid_cookie(x->q, cookie))
		return;
	struct vs_req *rq = cookie;
	rq->state = VS_REQ_DONE;
	rq->next = NULL;
	*x->tail = rq;
	x->tail = &rq->next;
}

void vs_queue_reclaim(struct vs_queue *q, struct vs_req **list)
{
	const struct vscsi_glue *g = q->ctrl->glue;
	struct vs_reclaim_ctx x = { q, list };
	*list = NULL;
	vs_lock(g, q->lock);
	virtq_reclaim(q->vq, vs_reclaim_one, &x);
	q->inflight = 0;
	q->kick_pending = false;
	vs_unlock(g, q->lock);
}

void vs_complete_reclaimed(struct vscsi_ctrl *c, struct vs_req *list, int err)
{
	while (list) {
		struct vs_req *rq = list;
		list = rq->next;
		vs_finish(c, rq, err);
	}
}
