/*
 * request.c - command requests on the request queues (virtio 1.2 §5.6.6.1):
 * the per-queue pool of request slots allocated at bring-up, checking and
 * sending a command (slot, header, descriptor chain, publication),
 * draining the used ring, decoding the response, and giving every
 * outstanding request back after a device reset.  Nothing here allocates
 * memory on the I/O path.
 *
 *   vs_queue_init / vs_queue_free   the pool of one request queue
 *   vs_adapter_check                 a command against the device's limits
 *   vs_adapter_submit                slot, chain, publish (virtio 1.2 §5.6.6.1, §2.7.13)
 *   vs_queue_drain                   the used ring (virtio 1.2 §2.7.14), completions
 *   vs_decode_response               the response header (virtio 1.2 §5.6.6.1)
 *   vs_queue_reclaim                 after a reset (virtio 1.2 §3.3.1 / §2.4)
 */
#include "virtio_scsi/internal.h"

#define MAX_SEGS 256
#define MAX_DEPTH 256
/* Preset into `response` before submission: a device that completes a
 * request without writing the header is caught (EPROTO), never read as OK. */
#define RESPONSE_UNWRITTEN 0xff

/* --- pool ------------------------------------------------------------------------- */

static void *dma_zalloc(const struct vscsi_glue *g, size_t size, uint64_t *bus)
{
	uint64_t b;
	return g->dma_alloc(g->ctx, size, 64, bus ? bus : &b);
}

void vs_queue_free(struct vs_adapter *a, struct vs_queue *q)
{
	const struct vscsi_glue *g = a->glue;
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

/*
 * vs_queue_init - one request queue's pool: `depth` slots (0: the queue
 * size, at most 256), each with its header and response laid out once
 * (req_size and resp_size bytes, virtio 1.2 §5.6.6.1) and room for its
 * descriptor list.  Data segments per command: seg_max (virtio 1.2 §5.6.4), and what
 * one chain of the queue can carry besides the two headers.
 */
int vs_queue_init(struct vs_adapter *a, struct vs_queue *q, unsigned vq_index, unsigned depth)
{
	const struct vscsi_glue *g = a->glue;
	q->adapter = a;
	q->vq_index = vq_index;
	q->vq = virtio_queue(a->dev, vq_index);
	if (!q->vq)
		return -VSCSI_EIO;
	unsigned size = virtq_size(q->vq);
	unsigned n = depth ? depth : MAX_DEPTH;
	if (n > size)
		n = size;
	if (n > MAX_DEPTH)
		n = MAX_DEPTH;
	if (n == 0)
		return -VSCSI_EIO;

	unsigned chain = virtq_max_chain(q->vq);
	if (chain < 3) {
		/* Said at the error level, naming the controller: it is the
		 * reason its bring-up fails. */
		vs_log(g, VS_LOG_ERR, "vscsi %s: request queue %u takes chains of at most %u "
		       "descriptors; a command needs 3 (header, data, response)",
		       virtio_location(a->dev), vq_index, chain);
		return -VSCSI_EIO;
	}
	unsigned segs = a->seg_max;
	if (segs > chain - 2)
		segs = chain - 2;
	if (segs > MAX_SEGS)
		segs = MAX_SEGS;
	q->max_segs = segs;

	size_t hdr_stride = VS_ALIGN_UP((size_t)a->req_size, 64);
	size_t resp_stride = VS_ALIGN_UP((size_t)a->resp_size, 64);
	/* Halve the pool until the memory is there. */
	for (;;) {
		q->req_mem_size = sizeof(struct vs_req) * n;
		q->hdr_mem_size = (hdr_stride + resp_stride) * n;
		q->buf_mem_size = sizeof(struct virtq_buf) * (segs + 2) * n;
		uint64_t hdr_bus = 0;
		q->req_mem = dma_zalloc(g, q->req_mem_size, NULL);
		q->hdr_mem = dma_zalloc(g, q->hdr_mem_size, &hdr_bus);
		q->buf_mem = dma_zalloc(g, q->buf_mem_size, NULL);
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

/* virtio 1.2 §5.6.6.1: the response codes of a command, as vscsi_cmd.result
 * reports them (vscsi.h lists the mapping). */
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

/* The SAM status the device reports with response OK (SAM-5 §5.3). */
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
	if (response == RESPONSE_UNWRITTEN)
		return "NO_RESPONSE";
	return "UNKNOWN";
}

/*
 * vs_decode_response - virtio 1.2 §5.6.6.1: `response` first; `status` and
 * sense only when it is OK.  Device-written lengths are clamped: sense to
 * min(sense_len, sense_size, the caller's buffer), the residual to the
 * data length.
 */
void vs_decode_response(const uint8_t *resp, uint32_t sense_size, uint32_t data_len,
			struct vscsi_cmd *cmd)
{
	const struct virtio_scsi_cmd_resp *r = (const struct virtio_scsi_cmd_resp *)resp;
	cmd->response = r->response;
	cmd->status = 0;
	cmd->sense_len = 0;
	cmd->resid = data_len;
	cmd->resid_invalid = false;
	if (r->response != VSCSI_S_OK) {
		cmd->result = vs_response_errno(r->response);
		return;
	}
	cmd->status = r->status;
	cmd->result = vs_status_errno(r->status);
	uint32_t residual = vs_le32(r->residual);
	cmd->resid = residual > data_len ? data_len : residual;
	cmd->resid_invalid = residual > data_len;
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

/* --- the caller's data list ---------------------------------------------------------- */

/* The bytes a command transfers: its list after `sg_skip`, limited to
 * `sg_len` when that is set.  *bad when the list cannot describe them. */
static size_t data_bytes(const struct vscsi_cmd *cmd, bool *bad)
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
struct sg_walk {
	const struct vscsi_cmd *cmd;
	unsigned i;    /* current element */
	size_t off;    /* offset in it */
	size_t left;   /* bytes of the command still to visit */
};

static void walk_start(struct sg_walk *w, const struct vscsi_cmd *cmd, size_t total)
{
	w->cmd = cmd;
	w->i = 0;
	w->off = cmd->sg_skip;
	w->left = total;
}

/* The next piece of at most `max` bytes: its address and length (0: end). */
static size_t walk_next(struct sg_walk *w, size_t max, uint8_t **va)
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

static void walk_advance(struct sg_walk *w, size_t n)
{
	w->off += n;
	w->left -= n;
}

/* Undo the first `nseg` mappings of `rq`'s data: segment k covers the next
 * bufs[k].len bytes of the walk. */
static void unmap_data(struct vs_adapter *a, struct vs_req *rq, const struct vscsi_cmd *cmd,
		       unsigned nseg)
{
	const struct vscsi_glue *g = a->glue;
	if (!g->dma_unmap || !nseg)
		return;
	struct virtq_buf *seg = rq->dma_dir == VSCSI_DMA_TO_DEVICE ? &rq->bufs[1] : &rq->bufs[2];
	struct sg_walk w;
	walk_start(&w, cmd, cmd->data_len);
	for (unsigned k = 0; k < nseg; k++) {
		/* Mapping walked the same way, so segment k starts here and
		 * never spans two list elements. */
		uint8_t *va;
		size_t n = walk_next(&w, seg[k].len, &va);
		if (!n)
			break;
		g->dma_unmap(g->ctx, va, seg[k].addr, seg[k].len, rq->dma_dir);
		walk_advance(&w, n);
	}
}

/* Map the command's bytes for the device (the glue's dma_map: identity,
 * IOMMU or bounce) into at most `max_segs` buffers at `seg`.  Returns the
 * number of buffers, or an error with nothing left mapped. */
static int map_data(struct vs_adapter *a, struct vs_req *rq, const struct vscsi_cmd *cmd,
		    size_t total, struct virtq_buf *seg, unsigned max_segs)
{
	const struct vscsi_glue *g = a->glue;
	struct sg_walk w;
	unsigned n = 0;
	walk_start(&w, cmd, total);
	for (;;) {
		uint8_t *va;
		size_t want = walk_next(&w, 0x40000000u, &va);
		if (!want)
			break;
		if (n == max_segs) {
			unmap_data(a, rq, cmd, n);
			return -VSCSI_E2BIG;
		}
		uint64_t bus = 0;
		size_t got = g->dma_map(g->ctx, va, want, rq->dma_dir, &bus);
		if (got == 0 || got > want) {
			unmap_data(a, rq, cmd, n);
			return -VSCSI_EFAULT;
		}
		seg[n].addr = bus;
		seg[n].len = (uint32_t)got;
		n++;
		walk_advance(&w, got);
	}
	return (int)n;
}

/* --- submission ----------------------------------------------------------------- */

int vs_adapter_check(const struct vs_adapter *a, unsigned target, unsigned lun,
		     struct vscsi_cmd *cmd, struct vs_cmd_plan *plan)
{
	cmd->tag = 0; /* stays 0 unless the command reaches the device */
	if (a->dead)
		return -VSCSI_ENODEV;
	if (a->resetting)
		return -VSCSI_EAGAIN;
	if (target > 255 || lun > 16383)
		return -VSCSI_EINVAL;
	if (!cmd->cdb || cmd->cdb_len == 0 || cmd->cdb_len > a->cdb_size)
		return -VSCSI_EINVAL;
	bool bad;
	size_t total = data_bytes(cmd, &bad);
	if (bad)
		return -VSCSI_EINVAL;
	switch (cmd->dir) {
	case VSCSI_DATA_NONE:
		if (total)
			return -VSCSI_EINVAL;
		break;
	case VSCSI_DATA_TO_DEVICE:
	case VSCSI_DATA_FROM_DEVICE:
		/* A descriptor of length 0 breaks the device: QEMU refuses
		 * zero-sized buffers and marks the whole device broken. */
		if (!total)
			return -VSCSI_EINVAL;
		break;
	default:
		return -VSCSI_EINVAL;
	}
	if (total > a->max_transfer)
		return -VSCSI_E2BIG;
	plan->target = target;
	plan->lun = lun;
	plan->bytes = total;
	return 0;
}

static struct vs_queue *pick_queue(struct vs_adapter *a, const struct vscsi_cmd *cmd)
{
	if (cmd->queue != VSCSI_QUEUE_ANY && cmd->queue < a->nrq)
		return &a->rq[cmd->queue];
	unsigned i = __atomic_fetch_add(&a->rr, 1, __ATOMIC_RELAXED);
	return &a->rq[i % a->nrq];
}

/* A free slot of `q`, now ours (not yet the device's), or NULL. */
static struct vs_req *take_slot(struct vs_adapter *a, struct vs_queue *q)
{
	vs_lock(a->glue, q->lock);
	struct vs_req *rq = q->free;
	if (rq) {
		q->free = rq->next;
		rq->state = VS_REQ_DONE;
	}
	vs_unlock(a->glue, q->lock);
	return rq;
}

static void put_slot(struct vs_queue *q, struct vs_req *rq)
{
	const struct vscsi_glue *g = q->adapter->glue;
	vs_lock(g, q->lock);
	rq->state = VS_REQ_FREE;
	rq->cmd = NULL;
	rq->inflight = NULL;
	rq->timed_out = false;
	rq->next = q->free;
	q->free = rq;
	vs_unlock(g, q->lock);
}

/*
 * The request header (virtio 1.2 §5.6.6.1): LUN field, a tag unique among
 * outstanding commands, task attribute SIMPLE with prio and crn 0 (the
 * spec's SHOULD), the CDB zero-padded to cdb_size; and the response preset
 * to "unwritten".  The tag is slot, queue and a per-slot generation, so no
 * tag is reused while the device could still refer to an older use of it
 * (devices answer a reused tag with OVERLAPPED COMMANDS ATTEMPTED).
 */
static void write_header(struct vs_adapter *a, struct vs_queue *q, struct vs_req *rq,
			 const struct vscsi_cmd *cmd, const struct vs_cmd_plan *plan)
{
	rq->gen++;
	rq->tag = rq->gen << 24 | (uint64_t)(q - a->rq) << 16 | rq->slot;
	struct virtio_scsi_cmd_req *h = (struct virtio_scsi_cmd_req *)rq->hdr;
	vs_memset(rq->hdr, 0, a->req_size);
	vs_lun_encode(h->lun, plan->target, plan->lun);
	vs_put_le64(h->id, rq->tag);
	h->task_attr = 0;
	vs_memcpy(h->cdb, cmd->cdb, cmd->cdb_len);
	vs_memset(rq->resp, 0, a->resp_size);
	((struct virtio_scsi_cmd_resp *)rq->resp)->response = RESPONSE_UNWRITTEN;
}

/*
 * The descriptor chain of virtio 1.2 §5.6.6.1: device-readable [header,
 * data-out...], then device-writable [response, data-in...].  bufs[] holds
 * them in that order, so each side is one run.
 */
static int build_chain(struct vs_adapter *a, struct vs_queue *q, struct vs_req *rq,
		       struct vscsi_cmd *cmd, const struct vs_cmd_plan *plan, unsigned *inflight)
{
	rq->cmd = cmd;
	rq->inflight = inflight;
	rq->target = (uint8_t)plan->target;
	rq->lun_id = (uint16_t)plan->lun;
	rq->timed_out = false;
	rq->abandoned = false;
	rq->deadline_ns = plan->deadline_ns;
	rq->nseg = 0;
	rq->dma_dir = cmd->dir == VSCSI_DATA_TO_DEVICE ? VSCSI_DMA_TO_DEVICE : VSCSI_DMA_FROM_DEVICE;
	cmd->data_len = (uint32_t)plan->bytes; /* the unmap walk uses it */
	cmd->queue_used = (uint16_t)(q - a->rq);
	write_header(a, q, rq, cmd, plan);

	struct virtq_buf *b = rq->bufs;
	struct virtq_buf *data = cmd->dir == VSCSI_DATA_TO_DEVICE ? &b[1] : &b[2];
	int nseg = 0;
	if (cmd->dir != VSCSI_DATA_NONE)
		nseg = map_data(a, rq, cmd, plan->bytes, data, q->max_segs);
	if (nseg < 0)
		return nseg;
	rq->nseg = (unsigned)nseg;
	b[0] = (struct virtq_buf){ rq->hdr_bus, a->req_size };
	if (cmd->dir == VSCSI_DATA_TO_DEVICE) {
		b[1 + nseg] = (struct virtq_buf){ rq->resp_bus, a->resp_size };
		rq->n_out = 1 + (unsigned)nseg;
		rq->n_in = 1;
	} else {
		b[1] = (struct virtq_buf){ rq->resp_bus, a->resp_size };
		rq->n_out = 1;
		rq->n_in = 1 + (unsigned)nseg;
	}
	return 0;
}

/*
 * Hand the chain to the device: the command's results reset to "pending",
 * its request recorded, then the chain added and (unless the caller
 * batches) the device notified.  The request is recorded before the
 * device can see it, or a fast completion would find none.
 */
static int publish(struct vs_adapter *a, struct vs_queue *q, struct vs_req *rq,
		   struct vscsi_cmd *cmd, unsigned flags)
{
	const struct vscsi_glue *g = a->glue;
	cmd->result = 1; /* pending */
	cmd->response = RESPONSE_UNWRITTEN;
	cmd->status = 0;
	cmd->sense_len = 0;
	cmd->resid = 0;
	cmd->resid_invalid = false;
	cmd->tag = rq->tag;
	cmd->duration_ns = 0;
	rq->start_ns = vs_now(g);
	__atomic_store_n(&cmd->priv_req, rq, __ATOMIC_RELEASE);

	vs_lock(g, q->lock);
	rq->state = VS_REQ_INFLIGHT;
	int r = virtq_add(q->vq, rq->bufs, rq->n_out, rq->bufs + rq->n_out, rq->n_in, rq);
	if (r == 0) {
		q->inflight++;
		a->commands++;
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
	if (r == 0)
		return 0;
	if (r == -VSCSI_ENOSPC)
		return -VSCSI_EAGAIN;
	if (r == -VSCSI_EPROTO || virtq_is_broken(q->vq)) {
		vs_log(g, VS_LOG_ERR, "vscsi host%u: request queue %u is broken", a->host,
		       q->vq_index);
		a->needs_reset = true;
		return -VSCSI_EIO;
	}
	return r;
}

/* The one way back from a submission that failed after taking a slot:
 * the command was never sent, its data is unmapped, the slot is free. */
static void undo_submit(struct vs_adapter *a, struct vs_queue *q, struct vs_req *rq,
			struct vscsi_cmd *cmd)
{
	cmd->tag = 0;
	__atomic_store_n(&cmd->priv_req, NULL, __ATOMIC_RELEASE);
	unmap_data(a, rq, cmd, rq->nseg);
	put_slot(q, rq);
}

int vs_adapter_submit(struct vs_adapter *a, struct vscsi_cmd *cmd, const struct vs_cmd_plan *plan,
		      unsigned flags, unsigned *inflight)
{
	struct vs_queue *q = pick_queue(a, cmd);
	struct vs_req *rq = take_slot(a, q);
	if (!rq)
		return -VSCSI_EAGAIN;
	int r = build_chain(a, q, rq, cmd, plan, inflight);
	if (r == 0)
		r = publish(a, q, rq, cmd, flags);
	if (r < 0)
		undo_submit(a, q, rq, cmd);
	return r;
}

void vs_adapter_kick(struct vs_adapter *a)
{
	if (a->dead)
		return;
	for (unsigned i = 0; i < a->nrq; i++) {
		struct vs_queue *q = &a->rq[i];
		/* Unlocked look first: a submission racing with it (interrupt
		 * context) is no different from one made just after the kick. */
		if (!__atomic_load_n(&q->kick_pending, __ATOMIC_ACQUIRE))
			continue;
		vs_lock(a->glue, q->lock);
		if (q->kick_pending) {
			virtq_kick(q->vq);
			q->kick_pending = false;
		}
		vs_unlock(a->glue, q->lock);
	}
}

bool vs_adapter_cmd_done(const struct vscsi_cmd *cmd)
{
	return __atomic_load_n(&cmd->priv_req, __ATOMIC_ACQUIRE) == NULL;
}

bool vs_adapter_time_out(struct vs_adapter *a, struct vscsi_cmd *cmd,
			 struct vs_cmd_address *where, bool *mine)
{
	struct vs_req *rq = __atomic_load_n(&cmd->priv_req, __ATOMIC_ACQUIRE);
	if (!rq)
		return false;
	struct vs_queue *q = rq->q;
	*mine = false;
	vs_lock(a->glue, q->lock);
	if (__atomic_load_n(&cmd->priv_req, __ATOMIC_ACQUIRE) == rq) {
		where->target = rq->target;
		where->lun = rq->lun_id;
		where->tag = rq->tag;
		where->opcode = cmd->cdb[0];
		if (rq->state == VS_REQ_INFLIGHT) {
			rq->timed_out = true;
			rq->state = VS_REQ_ABORTING;
			*mine = true;
		}
	}
	vs_unlock(a->glue, q->lock);
	return *mine || !vs_adapter_cmd_done(cmd);
}

#define DEADLINE_SCAN_NS 5000000u /* 5 ms: deadlines are milliseconds */

bool vs_adapter_expired(struct vs_adapter *a, uint64_t now, struct vs_cmd_address *where)
{
	if (a->dead || a->resetting)
		return false;
	for (unsigned i = 0; i < a->nrq; i++) {
		struct vs_queue *q = &a->rq[i];
		/* Unlocked look first: most passes find nothing to do. */
		if (!__atomic_load_n(&q->inflight, __ATOMIC_RELAXED) ||
		    now < __atomic_load_n(&q->next_deadline_scan, __ATOMIC_RELAXED))
			continue;
		bool found = false;
		vs_lock(a->glue, q->lock);
		for (unsigned k = 0; k < q->nreqs && !found; k++) {
			struct vs_req *rq = &q->reqs[k];
			if (rq->state != VS_REQ_INFLIGHT || !rq->deadline_ns || now < rq->deadline_ns)
				continue;
			rq->timed_out = true;
			rq->state = VS_REQ_ABORTING;
			where->target = rq->target;
			where->lun = rq->lun_id;
			where->tag = rq->tag;
			where->opcode = rq->cmd->cdb[0];
			found = true;
		}
		if (!found)
			q->next_deadline_scan = now + DEADLINE_SCAN_NS;
		vs_unlock(a->glue, q->lock);
		if (found)
			return true;
	}
	return false;
}

bool vs_adapter_outstanding(struct vs_adapter *a, const struct vs_cmd_address *where)
{
	/* The tag names the queue and the slot (write_header); the slot
	 * still carries that tag while that use of it is outstanding. */
	unsigned qi = (unsigned)(where->tag >> 16) & 0xff, slot = (unsigned)where->tag & 0xffff;
	if (qi >= a->nrq || slot >= a->rq[qi].nreqs)
		return false;
	struct vs_queue *q = &a->rq[qi];
	struct vs_req *rq = &q->reqs[slot];
	vs_lock(a->glue, q->lock);
	bool out = rq->tag == where->tag &&
		   (rq->state == VS_REQ_INFLIGHT || rq->state == VS_REQ_ABORTING ||
		    rq->state == VS_REQ_TIMEDOUT);
	vs_unlock(a->glue, q->lock);
	return out;
}

/* --- completion ------------------------------------------------------------------- */

/* Finish one request the device gave back (or a reset reclaimed, with
 * `forced` != 0): results into the command, unmap, free the slot, and
 * only then the callback, which may submit again. */
static void complete_request(struct vs_adapter *a, struct vs_req *rq, int forced)
{
	struct vscsi_cmd *cmd = rq->cmd;
	if (forced) {
		cmd->response = RESPONSE_UNWRITTEN;
		cmd->status = 0;
		cmd->sense_len = 0;
		cmd->resid = cmd->data_len;
		cmd->resid_invalid = false;
		cmd->result = forced;
	} else {
		vs_decode_response(rq->resp, a->sense_size, cmd->data_len, cmd);
		if (cmd->response == RESPONSE_UNWRITTEN)
			vs_log(a->glue, VS_LOG_ERR,
			       "vscsi host%u: %u:%u: command %#x completed without a response",
			       a->host, rq->target, rq->lun_id, cmd->cdb[0]);
		else if (cmd->result == -VSCSI_EPROTO)
			vs_log(a->glue, VS_LOG_ERR,
			       "vscsi host%u: %u:%u: impossible response %u status %#x", a->host,
			       rq->target, rq->lun_id, cmd->response, cmd->status);
	}
	/* A command that timed out says so, unless the controller died with
	 * it (then ENODEV, as for every other command it held). */
	if (rq->timed_out && !rq->abandoned)
		cmd->result = -VSCSI_ETIMEDOUT;
	/* "No such target/LUN" is what most of a scan hears: not an error. */
	if (cmd->result && cmd->result != -VSCSI_ENXIO)
		a->errors++;
	/* An abandoned request's data stays mapped (a bounce or IOMMU mapping
	 * the device may still write into is never handed back), and its
	 * slot, header and response are never used again. */
	if (!rq->abandoned)
		unmap_data(a, rq, cmd, rq->nseg);
	cmd->duration_ns = vs_now(a->glue) - rq->start_ns;
	if (rq->inflight)
		__atomic_sub_fetch(rq->inflight, 1, __ATOMIC_ACQ_REL);
	void (*done)(struct vscsi_cmd *) = cmd->done;
	if (rq->abandoned) {
		rq->cmd = NULL;
		rq->inflight = NULL;
	} else {
		put_slot(rq->q, rq);
	}
	__atomic_store_n(&cmd->priv_req, NULL, __ATOMIC_RELEASE);
	if (done)
		done(cmd);
}

/* A cookie the device returned is one of this queue's requests, and one
 * the device owns: anything else is ignored (the device is not trusted). */
static bool valid_cookie(const struct vs_queue *q, const void *cookie)
{
	const uint8_t *p = cookie, *base = (const uint8_t *)q->reqs;
	if (p < base || p >= base + sizeof(struct vs_req) * q->nreqs)
		return false;
	if ((size_t)(p - base) % sizeof(struct vs_req))
		return false;
	enum vs_req_state s = ((const struct vs_req *)cookie)->state;
	return s == VS_REQ_INFLIGHT || s == VS_REQ_ABORTING || s == VS_REQ_TIMEDOUT;
}

/*
 * vs_queue_drain - the used ring of one request queue (virtio 1.2 §2.7.14 /
 * virtio 1.2 §2.8.22): take every used chain under the queue's lock, then complete
 * them with the lock released (callbacks may submit again).  With
 * interrupts, notifications are off while draining and the ring is looked
 * at again after re-enabling them, so a completion racing with the
 * re-enable is not left behind.
 */
unsigned vs_queue_drain(struct vs_queue *q)
{
	struct vs_adapter *a = q->adapter;
	const struct vscsi_glue *g = a->glue;
	struct vs_req *head = NULL, **tail = &head;
	unsigned n = 0;

	if (!vs_vq_pending(q->vq))
		return 0;
	bool intr = virtio_intr_mode(a->dev) != VIRTIO_INTR_POLL;
	vs_lock(g, q->lock);
	if (intr)
		virtq_disable_cb(q->vq);
	for (;;) {
		void *cookie;
		uint32_t len;
		int r = virtq_get(q->vq, &cookie, &len);
		if (r == 0) {
			if (intr && virtq_enable_cb(q->vq)) {
				virtq_disable_cb(q->vq);
				continue;
			}
			break;
		}
		if (r < 0) {
			a->needs_reset = true;
			break;
		}
		/* The used length is not looked at: the response header says
		 * everything, and legacy devices may report anything. */
		if (!valid_cookie(q, cookie)) {
			vs_log(g, VS_LOG_ERR, "vscsi host%u: queue %u returned an unknown request",
			       a->host, q->vq_index);
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
		complete_request(a, rq, 0);
	}
	return n;
}

unsigned vs_drain_requests(struct vs_adapter *a)
{
	unsigned n = 0;
	for (unsigned i = 0; i < a->nrq; i++)
		n += vs_queue_drain(&a->rq[i]);
	return n;
}

struct reclaim_ctx {
	struct vs_queue *q;
	struct vs_req **tail;
};

static void reclaim_one(void *cookie, void *arg)
{
	struct reclaim_ctx *x = arg;
	if (!valid_cookie(x->q, cookie))
		return;
	struct vs_req *rq = cookie;
	rq->state = VS_REQ_DONE;
	rq->next = NULL;
	*x->tail = rq;
	x->tail = &rq->next;
}

/* After a device reset (virtio 1.2 §2.4: the device owns no buffer any
 * more): every request of the queue that was the device's. */
void vs_queue_reclaim(struct vs_queue *q, struct vs_req **list)
{
	const struct vscsi_glue *g = q->adapter->glue;
	struct reclaim_ctx x = { q, list };
	*list = NULL;
	vs_lock(g, q->lock);
	virtq_reclaim(q->vq, reclaim_one, &x);
	q->inflight = 0;
	q->kick_pending = false;
	vs_unlock(g, q->lock);
}

void vs_queue_abandon(struct vs_queue *q, struct vs_req **list)
{
	const struct vscsi_glue *g = q->adapter->glue;
	struct vs_req **tail = list;
	*list = NULL;
	vs_lock(g, q->lock);
	for (unsigned k = 0; k < q->nreqs; k++) {
		struct vs_req *rq = &q->reqs[k];
		if (rq->state != VS_REQ_INFLIGHT && rq->state != VS_REQ_ABORTING &&
		    rq->state != VS_REQ_TIMEDOUT)
			continue;
		rq->state = VS_REQ_DONE;
		rq->abandoned = true;
		rq->next = NULL;
		*tail = rq;
		tail = &rq->next;
	}
	/* Free slots stay off the list too: the adapter is dead. */
	q->free = NULL;
	q->inflight = 0;
	q->kick_pending = false;
	vs_unlock(g, q->lock);
}

void vs_complete_reclaimed(struct vs_adapter *a, struct vs_req *list, int err)
{
	while (list) {
		struct vs_req *rq = list;
		list = rq->next;
		complete_request(a, rq, err);
	}
}
