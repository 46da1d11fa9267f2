/*
 * disk.c - block requests on disks and CD-ROMs: split into SCSI commands
 * within the device's limits, at most VSCSI_BLK_WINDOW of them in flight
 * per request, joined into one completion; failed commands retried when
 * the device says the command did not run (unit attention, BUSY, reset);
 * blocking wrappers with the controller's timeout.
 *
 * The write cache (SBC-4, caching mode page): a FUA write goes out with FUA only when
 * the device says it honours it (DPOFUA, SBC-4 §6.5.1); otherwise its
 * WRITEs are followed by a SYNCHRONIZE CACHE of the range before the
 * request completes.  Disks whose cache is on (WCE) are flushed by
 * vscsi_blk_flush_all() (the host's power-off) and when their controller
 * is removed.
 *
 * Discards go out as UNMAP or WRITE SAME(16) with UNMAP, as VPD B0h/B2h
 * allow (split.c chooses and cuts them).
 *
 * Requests that cannot go on right now (no free slot, backoff after BUSY)
 * wait on a list that vscsi_blk_poll() works through; nothing here
 * allocates memory on the I/O path.
 */
#include "blk/internal.h"

/*
 * Locking: a request's state (pieces, counters, the stall list of its
 * device) changes only under its controller's lock, because completions
 * may run in interrupt context while the submitter is still busy with the
 * request.  `done` is always called after the lock is released, and
 * nothing touches a request once it is marked finished.
 */
#define PROGRESS_SENT 1u
#define PROGRESS_FINISHED 2u

bool vscsi_blk_is_block(const struct vscsi_lun *dev)
{
	if (!dev)
		return false;
	switch (vscsi_lun_info(dev)->type) {
	case SCSI_TYPE_DISK:
	case SCSI_TYPE_CDROM:
	case SCSI_TYPE_WORM:
	case SCSI_TYPE_OPTICAL:
	case SCSI_TYPE_RBC:
		return true;
	default:
		return false;
	}
}

static void flush_on_remove(struct vscsi_ctrl *c);

/* Once the block layer is in use, vscsi_remove flushes write caches. */
static void hook_remove(void)
{
	vs_ctrl_remove_hook = flush_on_remove;
}

static void release_state(struct vscsi_lun *dev)
{
	struct vs_blk_dev *st = dev->upper;
	const struct vscsi_glue *g = vs_ctrl_glue(vscsi_lun_ctrl(dev));
	if (st->zero_block)
		g->dma_free(g->ctx, st->zero_block, st->zero_size);
	g->dma_free(g->ctx, st, sizeof(*st));
	dev->upper = NULL;
}

struct vs_blk_dev *vs_blk_state(struct vscsi_lun *dev)
{
	if (!dev->upper) {
		const struct vscsi_glue *g = vs_ctrl_glue(vscsi_lun_ctrl(dev));
		uint64_t bus;
		dev->upper = g->dma_alloc(g->ctx, sizeof(struct vs_blk_dev), 64, &bus);
		dev->upper_release = release_state;
		hook_remove();
	}
	return dev->upper;
}

int vscsi_blk_get_info(struct vscsi_lun *dev, struct vscsi_blk_info *o)
{
	if (!dev || !o)
		return -VSCSI_EINVAL;
	const struct vscsi_lun_info *i = vscsi_lun_info(dev);
	if (i->gone)
		return -VSCSI_ENODEV;
	if (!vscsi_blk_is_block(dev))
		return -VSCSI_EOPNOTSUPP;
	hook_remove();
	vs_memset(o, 0, sizeof(*o));
	o->blocks = i->medium ? i->blocks : 0;
	o->block_size = i->block_size;
	o->phys_block_size = i->phys_block_size;
	o->read_only = i->read_only;
	o->removable = i->removable;
	o->medium = i->medium;
	o->cdrom = i->type == SCSI_TYPE_CDROM || i->type == SCSI_TYPE_WORM;
	o->discard = vs_blk_discard_mode(i) != VS_DISCARD_NONE;
	o->fua = i->dpofua;
	o->write_cache = i->write_cache;
	o->max_transfer_bytes = i->max_transfer_bytes;
	return 0;
}

uint64_t vscsi_blk_size_bytes(struct vscsi_lun *dev)
{
	struct vscsi_blk_info bi;
	if (vscsi_blk_get_info(dev, &bi) < 0)
		return 0;
	return bi.blocks * bi.block_size;
}

/* --- the stall list (per device, under the controller lock) --------------- */

static void stall(struct vscsi_blk_req *req)
{
	struct vs_blk_dev *st = req->dev->upper;
	if (req->stalled)
		return;
	req->stalled = true;
	req->stall_next = st->stalled;
	st->stalled = req;
}

static void unstall(struct vscsi_blk_req *req)
{
	struct vs_blk_dev *st = req->dev->upper;
	if (!req->stalled)
		return;
	for (struct vscsi_blk_req **pp = &st->stalled; *pp; pp = &(*pp)->stall_next) {
		if (*pp == req) {
			*pp = req->stall_next;
			break;
		}
	}
	req->stalled = false;
	req->stall_next = NULL;
}

static void lock_device(struct vscsi_lun *dev)
{
	struct vscsi_ctrl *c = vscsi_lun_ctrl(dev);
	vs_lock(c->glue, c->lock);
}

static void unlock_device(struct vscsi_lun *dev)
{
	struct vscsi_ctrl *c = vscsi_lun_ctrl(dev);
	vs_unlock(c->glue, c->lock);
}

/* --- building and sending commands ------------------------------------------- */

static void piece_done(struct vscsi_cmd *cmd);

/* A fresh command in `p` for `req`, nothing in its CDB yet. */
static struct vscsi_cmd *init_piece(struct vscsi_blk_req *req, struct vscsi_blk_piece *p)
{
	struct vscsi_cmd *cmd = &p->cmd;
	vs_memset(cmd, 0, sizeof(*cmd));
	cmd->cdb = p->cdb;
	cmd->queue = VSCSI_QUEUE_ANY;
	cmd->sense = p->sense;
	cmd->sense_cap = sizeof(p->sense);
	cmd->done = piece_done;
	cmd->arg = p;
	p->req = req;
	p->retries = 0;
	p->resubmit = false;
	p->flush = false;
	p->lba = req->next_lba;
	p->blocks = 0;
	return cmd;
}

/*
 * SYNCHRONIZE CACHE of `blocks` blocks from `lba` (SBC-4, SYNCHRONIZE CACHE (10)
 * and (16));
 * 0 blocks means from `lba` to the end, so 0/0 is the whole LUN.  (10)
 * when the range fits its fields, else (16).
 */
static void build_sync(struct vscsi_blk_piece *p, uint64_t lba, uint64_t blocks)
{
	if (lba <= 0xffffffffu && blocks <= 0xffffu)
		p->cmd.cdb_len = (uint8_t)scsi_cdb_sync_cache10(p->cdb, (uint32_t)lba,
								 (uint16_t)blocks);
	else
		p->cmd.cdb_len = (uint8_t)scsi_cdb_sync_cache16(
			p->cdb, lba, blocks <= 0xffffffffu ? (uint32_t)blocks : 0);
	p->cmd.dir = VSCSI_DATA_NONE;
	p->flush = true;
}

/* Fill `p` with the next command of `req`; returns 0, or a negative code
 * when the request cannot be cut (nothing was taken from it). */
static int build_piece(struct vscsi_blk_req *req, struct vscsi_blk_piece *p)
{
	struct vscsi_lun *dev = req->dev;
	const struct vscsi_lun_info *info = vscsi_lun_info(dev);
	struct vscsi_cmd *cmd = init_piece(req, p);

	switch (req->op) {
	case VSCSI_BLK_FLUSH:
		build_sync(p, 0, 0);
		req->left = 0;
		return 0;
	case VSCSI_BLK_READ:
	case VSCSI_BLK_WRITE: {
		uint64_t n = vs_blk_piece_blocks(req->sg, req->sg_count, req->next_byte, req->left,
						 info->block_size, info->max_transfer_bytes,
						 info->max_segments);
		if (n > 0xffffffffu)
			n = 0xffffffffu;
		if (!n)
			return -VSCSI_E2BIG;
		bool write = req->op == VSCSI_BLK_WRITE;
		/* FUA only where the device said it takes it (DPOFUA); else
		 * the SYNCHRONIZE CACHE after the writes does its work. */
		bool fua = write && (req->flags & VSCSI_BLK_FUA) && info->dpofua;
		cmd->cdb_len = (uint8_t)scsi_cdb_rw(p->cdb, write, req->next_lba, (uint32_t)n, fua);
		cmd->dir = write ? VSCSI_DATA_TO_DEVICE : VSCSI_DATA_FROM_DEVICE;
		cmd->sg = req->sg;
		cmd->sg_count = req->sg_count;
		cmd->sg_skip = req->next_byte;
		cmd->sg_len = (size_t)(n * info->block_size);
		p->blocks = (uint32_t)n;
		req->next_byte += (size_t)(n * info->block_size);
		req->next_lba += n;
		req->left -= n;
		return 0;
	}
	case VSCSI_BLK_DISCARD: {
		enum vs_discard_mode mode = vs_blk_discard_mode(info);
		uint64_t n = vs_blk_discard_blocks(info, mode, req->next_lba, req->left);
		if (mode == VS_DISCARD_NONE || !n)
			return -VSCSI_EOPNOTSUPP;
		if (mode == VS_DISCARD_UNMAP) {
			/* One block descriptor per command: within any MAXIMUM
			 * UNMAP BLOCK DESCRIPTOR COUNT (not 0 in this mode). */
			struct scsi_unmap_range r = { req->next_lba, (uint32_t)n };
			size_t len = scsi_unmap_params(p->param, sizeof(p->param), &r, 1);
			cmd->cdb_len = (uint8_t)scsi_cdb_unmap(p->cdb, (uint16_t)len);
			p->param_sg = (struct vscsi_sg){ p->param, len };
		} else {
			/* One logical block of zeroes, written over the range
			 * unless the device deallocates it (SBC-4, WRITE SAME (16)). */
			struct vs_blk_dev *st = vs_blk_state(dev);
			if (!st || !st->zero_block || st->zero_size < info->block_size)
				return -VSCSI_ENOMEM;
			cmd->cdb_len = (uint8_t)scsi_cdb_write_same16(p->cdb, req->next_lba,
								      (uint32_t)n, true);
			p->param_sg = (struct vscsi_sg){ st->zero_block, info->block_size };
		}
		cmd->dir = VSCSI_DATA_TO_DEVICE;
		cmd->sg = &p->param_sg;
		cmd->sg_count = 1;
		p->blocks = (uint32_t)n;
		req->next_lba += n;
		req->left -= n;
		return 0;
	}
	}
	return -VSCSI_EINVAL;
}

/* The SYNCHRONIZE CACHE that ends a FUA write to a device without
 * DPOFUA: the range written, once every WRITE of it has completed. */
static void build_fua_sync(struct vscsi_blk_req *req, struct vscsi_blk_piece *p)
{
	init_piece(req, p);
	p->lba = req->lba;
	build_sync(p, req->lba, req->blocks);
	req->sync_sent = true;
}

/* Put a built piece back into the request's remainder (submission failed
 * before the device saw it). */
static void unbuild_piece(struct vscsi_blk_req *req, struct vscsi_blk_piece *p)
{
	if (p->flush) {
		if (req->op == VSCSI_BLK_FLUSH)
			req->left = 1;
		else
			req->sync_sent = false;
		return;
	}
	req->next_lba -= p->blocks;
	req->left += p->blocks;
	if (req->op != VSCSI_BLK_DISCARD)
		req->next_byte -= (size_t)p->blocks * vscsi_lun_info(req->dev)->block_size;
}

static int send_piece(struct vscsi_blk_req *req, struct vscsi_blk_piece *p)
{
	int r = vscsi_lun_submit(req->dev, &p->cmd, VSCSI_SUBMIT_NO_KICK);
	if (r == 0) {
		p->busy = true;
		p->resubmit = false;
		req->inflight++;
		req->commands++;
	}
	return r;
}

/* Mark `req` finished (lock held); the caller runs `done` after unlocking. */
static void mark_finished(struct vscsi_blk_req *req)
{
	unstall(req);
	__atomic_store_n(&req->finished, true, __ATOMIC_RELEASE);
}

static void record_failure(struct vscsi_blk_req *req, int err, const struct vscsi_cmd *cmd)
{
	if (req->result)
		return;
	req->result = err;
	if (cmd && cmd->sense_len) {
		uint32_t n = cmd->sense_len < sizeof(req->sense) ? cmd->sense_len : sizeof(req->sense);
		vs_memcpy(req->sense, cmd->sense, n);
		req->sense_len = n;
	}
}

/*
 * Move `req` on: resend pieces whose backoff is over, cut and send new
 * pieces while the window has room, and finish it when nothing is left
 * anywhere.  Lock held.  Returns PROGRESS_SENT (the caller kicks) and
 * PROGRESS_FINISHED (the caller runs `done`, read before the lock was let go).
 */
static unsigned progress(struct vscsi_blk_req *req, uint64_t now)
{
	bool sent = false, waiting = false;
	for (unsigned i = 0; i < VSCSI_BLK_WINDOW; i++) {
		struct vscsi_blk_piece *p = &req->piece[i];
		if (!p->resubmit)
			continue;
		if (req->result) {
			p->resubmit = false; /* the request failed: no more retries */
			continue;
		}
		if (now < p->not_before) {
			waiting = true;
			continue;
		}
		int r = send_piece(req, p);
		if (r == 0)
			sent = true;
		else if (r == -VSCSI_EAGAIN)
			waiting = true;
		else {
			p->resubmit = false;
			record_failure(req, r, NULL);
		}
	}
	for (unsigned i = 0; i < VSCSI_BLK_WINDOW && req->left && !req->result; i++) {
		struct vscsi_blk_piece *p = &req->piece[i];
		if (p->busy || p->resubmit)
			continue;
		int r = build_piece(req, p);
		if (r == 0)
			r = send_piece(req, p);
		if (r == 0) {
			sent = true;
		} else if (r == -VSCSI_EAGAIN) {
			unbuild_piece(req, p);
			waiting = true;
			break;
		} else {
			record_failure(req, r, NULL);
		}
	}
	bool pending = false;
	for (unsigned i = 0; i < VSCSI_BLK_WINDOW; i++)
		pending |= req->piece[i].resubmit;
	bool more = req->left && !req->result;
	if (!req->inflight && !pending && !more && req->sync_after && !req->sync_sent &&
	    !req->result) {
		/* Every WRITE completed: now the SYNCHRONIZE CACHE (all slots
		 * are free). */
		struct vscsi_blk_piece *p = &req->piece[0];
		build_fua_sync(req, p);
		int r = send_piece(req, p);
		if (r == 0) {
			sent = true;
		} else if (r == -VSCSI_EAGAIN) {
			unbuild_piece(req, p);
			waiting = true;
		} else {
			record_failure(req, r, NULL);
		}
	}
	bool sync_due = req->sync_after && !req->sync_sent && !req->result;
	if (!req->inflight && !pending && !more && !sync_due) {
		mark_finished(req);
		return (sent ? PROGRESS_SENT : 0) | PROGRESS_FINISHED;
	}
	if (waiting || !req->inflight)
		stall(req); /* only vscsi_blk_poll can move it on */
	return sent ? PROGRESS_SENT : 0;
}

/* After progress, with the lock released. */
static void after_progress(struct vscsi_ctrl *c, unsigned flags,
			   void (*done)(struct vscsi_blk_req *), struct vscsi_blk_req *req)
{
	if (flags & PROGRESS_SENT)
		vscsi_kick(c);
	if ((flags & PROGRESS_FINISHED) && done)
		done(req);
}

/* The device said GOOD and did not move everything (split.c's verdict:
 * send the command again, or fail once that was tried enough). */
static void log_short(struct vscsi_lun *dev, enum vscsi_blk_op op, uint64_t lba, uint32_t moved,
		      uint32_t asked, bool unknown, bool again)
{
	const struct vscsi_lun_info *i = vscsi_lun_info(dev);
	char what[64];
	if (unknown)
		vs_snprintf(what, sizeof(what), "a residual larger than the %u bytes asked", asked);
	else
		vs_snprintf(what, sizeof(what), "%u of %u bytes moved", moved, asked);
	vs_log(vs_ctrl_glue(vscsi_lun_ctrl(dev)), VS_LOG_WARN,
	       "vscsi %u:0:%u:%u: %s: short %s at LBA %llu: status GOOD with %s: %s", i->host,
	       i->target, i->lun, i->name, op == VSCSI_BLK_READ ? "read" : "write",
	       (unsigned long long)lba, what, again ? "sending it again" : "failed (EIO)");
}

static void piece_done(struct vscsi_cmd *cmd)
{
	struct vscsi_blk_piece *p = cmd->arg;
	struct vscsi_blk_req *req = p->req;
	struct vscsi_lun *dev = req->dev;
	struct vscsi_ctrl *c = vscsi_lun_ctrl(dev);
	struct vs_blk_verdict v;

	lock_device(dev);
	p->busy = false;
	req->inflight--;
	req->completions++;
	enum vscsi_blk_op op = p->flush ? VSCSI_BLK_FLUSH : req->op;
	vs_blk_classify(op, cmd, p->retries, &v);
	/* For the log line below: the piece may be reused once unlocked. */
	uint64_t short_lba = p->lba;
	uint32_t short_asked = cmd->data_len, short_moved = cmd->data_len - cmd->resid;
	bool short_unknown = cmd->resid_invalid;
	if (v.medium_gone || v.revalidate || v.write_protected) {
		struct vs_blk_dev *st = dev->upper;
		st->needs_revalidate = true;
	}
	uint64_t now = 0;
	switch (v.action) {
	case VS_BLK_OK:
		break;
	case VS_BLK_RETRY:
	case VS_BLK_RETRY_LATER:
		p->retries++;
		p->resubmit = true;
		p->not_before = 0;
		if (v.action == VS_BLK_RETRY_LATER) {
			now = vs_now(c->glue);
			p->not_before = now + (uint64_t)v.delay_us * 1000u;
		}
		break;
	case VS_BLK_FAIL:
		record_failure(req, v.err, cmd);
		break;
	}
	void (*done)(struct vscsi_blk_req *) = req->done;
	/* Pieces are submitted unkicked; this completion may be the only
	 * chance to send the next ones, so they are kicked here. */
	unsigned f = progress(req, now);
	unlock_device(dev);
	if (v.short_transfer)
		log_short(dev, op, short_lba, short_moved, short_asked, short_unknown,
			  v.action != VS_BLK_FAIL);
	after_progress(c, f, done, req);
}

int vscsi_blk_submit(struct vscsi_lun *dev, struct vscsi_blk_req *req)
{
	if (!dev || !req)
		return -VSCSI_EINVAL;
	if (!vscsi_blk_is_block(dev))
		return -VSCSI_EOPNOTSUPP;
	struct vs_blk_dev *st = vs_blk_state(dev);
	if (!st)
		return -VSCSI_ENOMEM;
	if ((st->needs_revalidate || !vscsi_lun_info(dev)->ready) && !vscsi_lun_info(dev)->gone) {
		/* A unit attention said medium or capacity changed, or the unit
		 * was not ready when last looked at: read them again before
		 * checking this request against them. */
		st->needs_revalidate = false;
		vscsi_lun_revalidate(dev);
	}
	const struct vscsi_lun_info *info = vscsi_lun_info(dev);
	int r = vs_blk_validate(info, req);
	if (r < 0)
		return r;
	if (req->op == VSCSI_BLK_DISCARD && vs_blk_discard_mode(info) == VS_DISCARD_WRITE_SAME &&
	    (!st->zero_block || st->zero_size < info->block_size)) {
		const struct vscsi_glue *g = vs_ctrl_glue(vscsi_lun_ctrl(dev));
		uint64_t bus;
		if (st->zero_block)
			g->dma_free(g->ctx, st->zero_block, st->zero_size);
		st->zero_block = g->dma_alloc(g->ctx, info->block_size, 64, &bus);
		st->zero_size = st->zero_block ? info->block_size : 0;
		if (!st->zero_block)
			return -VSCSI_ENOMEM;
	}

	struct vscsi_ctrl *c = vscsi_lun_ctrl(dev);
	bool kick = !(req->flags & VSCSI_BLK_NO_KICK);
	void (*done)(struct vscsi_blk_req *) = req->done;
	req->result = 0;
	req->sense_len = 0;
	req->commands = 0;
	req->completions = 0;
	req->dev = dev;
	req->next_lba = req->lba;
	req->left = req->op == VSCSI_BLK_FLUSH ? 1 : req->blocks;
	req->next_byte = 0;
	req->inflight = 0;
	req->sync_after = req->op == VSCSI_BLK_WRITE && (req->flags & VSCSI_BLK_FUA) &&
			  !info->dpofua;
	req->sync_sent = false;
	req->finished = false;
	req->stalled = false;
	req->stall_next = NULL;
	vs_memset(req->piece, 0, sizeof(req->piece));

	/* The first command decides whether the request is accepted: a
	 * refusal there means nothing was sent. */
	lock_device(dev);
	struct vscsi_blk_piece *p = &req->piece[0];
	r = build_piece(req, p);
	if (r == 0)
		r = send_piece(req, p);
	if (r == -VSCSI_EAGAIN) {
		unbuild_piece(req, p);
		stall(req); /* vscsi_blk_poll sends it */
		unlock_device(dev);
		return 0;
	}
	if (r < 0) {
		unlock_device(dev);
		return r;
	}
	unsigned f = progress(req, 0) | PROGRESS_SENT;
	unlock_device(dev);
	if (!kick)
		f &= ~PROGRESS_SENT;
	after_progress(c, f, done, req);
	return 0;
}

void vscsi_blk_kick(struct vscsi_lun *dev)
{
	if (dev)
		vscsi_kick(vscsi_lun_ctrl(dev));
}

void vscsi_blk_poll(void)
{
	vscsi_poll_all();
	for (struct vscsi_ctrl *c = vscsi_ctrl_next(NULL); c; c = vscsi_ctrl_next(c)) {
		for (struct vscsi_lun *l = c->luns; l; l = l->next) {
			struct vs_blk_dev *st = l->upper;
			if (!st || !st->stalled)
				continue;
			/* Take the list; progress puts back what still waits.
			 * Finished requests are chained on `done_list` and told
			 * after the lock is let go. */
			struct vscsi_blk_req *done_list = NULL;
			unsigned sent = 0;
			uint64_t now = vs_now(c->glue);
			vs_lock(c->glue, c->lock);
			struct vscsi_blk_req *list = st->stalled;
			st->stalled = NULL;
			while (list) {
				struct vscsi_blk_req *req = list;
				list = req->stall_next;
				req->stalled = false;
				req->stall_next = NULL;
				unsigned f = progress(req, now);
				sent |= f & PROGRESS_SENT;
				if ((f & PROGRESS_FINISHED) && req->done) {
					req->stall_next = done_list;
					done_list = req;
				}
			}
			vs_unlock(c->glue, c->lock);
			if (sent)
				vscsi_kick(c);
			while (done_list) {
				struct vscsi_blk_req *req = done_list;
				done_list = req->stall_next;
				req->stall_next = NULL;
				req->done(req);
			}
		}
	}
}

/* --- blocking ---------------------------------------------------------------- */

/*
 * A blocking call returns only an errno: say in the log what failed and
 * the sense that explains it, as Linux's sd logs an I/O error.  (From the
 * caller's context: completions may run in an interrupt handler, whose
 * output would cut into other lines.)  The sense is shown only when it
 * explains `err`; an empty drive is an ordinary state, reported by the
 * caller as "No medium found".
 */
static void log_failure(struct vscsi_lun *dev, const struct vscsi_blk_req *req, int err)
{
	static const char *const ops[] = { "read", "write", "flush", "discard" };
	const struct vscsi_lun_info *i = vscsi_lun_info(dev);
	if (err == -VSCSI_ENOMEDIUM)
		return;
	char what[64] = "", sense[96] = "";
	struct scsi_sense s;
	if (err == req->result && req->sense_len &&
	    scsi_sense_decode(req->sense, req->sense_len, &s) == 0 && s.valid)
		scsi_sense_format(&s, sense, sizeof(sense));
	const char *op = (unsigned)req->op < VS_ARRAY_SIZE(ops) ? ops[req->op] : "request";
	if (req->op == VSCSI_BLK_FLUSH)
		vs_snprintf(what, sizeof(what), "%s", op);
	else
		vs_snprintf(what, sizeof(what), "%s of %llu block%s at LBA %llu", op,
			    (unsigned long long)req->blocks, req->blocks == 1 ? "" : "s",
			    (unsigned long long)req->lba);
	/* A removed LUN has given its name back. */
	const struct vscsi_glue *g = vs_ctrl_glue(vscsi_lun_ctrl(dev));
	vs_log(g, VS_LOG_WARN, "vscsi %u:0:%u:%u: %s%s%s failed: %s%s%s", i->host, i->target,
	       i->lun, i->name, i->name[0] ? ": " : "", what, vscsi_strerror(err),
	       sense[0] ? ", " : "", sense);
}

/*
 * Blocking: submit, then drive the queues until the request is finished.
 * It always finishes: every command completes, or times out through the
 * escalation of drv/scsi/error.c, or, when the device cannot even be
 * reset, the controller is declared dead and completes every command it
 * held with ENODEV at once, its device's DMA turned off where the
 * transport can (drv/virtio_scsi/adapter.c).  The request is never given
 * up on while the device may still own its buffers, and a dead controller
 * refuses new commands, so later calls fail at once.
 */
int vscsi_blk_exec(struct vscsi_lun *dev, struct vscsi_blk_req *req)
{
	if (!dev || !req)
		return -VSCSI_EINVAL;
	void (*saved)(struct vscsi_blk_req *) = req->done;
	req->done = NULL;
	req->flags &= ~VSCSI_BLK_NO_KICK;
	int r = vscsi_blk_submit(dev, req);
	if (r < 0) {
		req->done = saved;
		return r;
	}
	struct vscsi_ctrl *c = vscsi_lun_ctrl(dev);
	uint64_t timeout = (uint64_t)vs_timeout_ms(c, 0) * 1000000u;
	uint64_t last = vs_now(c->glue);
	uint32_t seen = req->completions;
	while (!__atomic_load_n(&req->finished, __ATOMIC_ACQUIRE)) {
		vscsi_blk_poll();
		if (__atomic_load_n(&req->finished, __ATOMIC_ACQUIRE))
			break;
		uint64_t now = vs_now(c->glue);
		if (req->completions != seen) {
			seen = req->completions;
			last = now;
		} else if (now - last > timeout) {
			/* No progress for a whole timeout: escalate on each command
			 * still out (abort, LUN reset, device reset). */
			for (unsigned i = 0; i < VSCSI_BLK_WINDOW; i++)
				if (req->piece[i].busy)
					vs_wait(c, &req->piece[i].cmd, 1);
			last = vs_now(c->glue);
		}
	}
	req->done = saved;
	r = req->result;
	if (r && r != -VSCSI_ENODEV) {
		/* A LUN hot-unplugged under the request answers on its way out
		 * with whatever the device says of a missing LUN (BAD_TARGET,
		 * 05/25/00, or 05/20/00 at a vanished LUN 0).  QEMU queues the
		 * REMOVED event before it cancels the commands: act on it now
		 * and report the removal itself. */
		vscsi_poll(c);
		if (vscsi_lun_info(dev)->gone)
			r = -VSCSI_ENODEV;
	}
	if (r)
		log_failure(dev, req, r);
	return r;
}

static int blocking_rw(struct vscsi_lun *dev, enum vscsi_blk_op op, uint64_t lba, uint64_t blocks,
		       const struct vscsi_sg *sg, unsigned n, unsigned flags)
{
	struct vscsi_blk_req req;
	vs_memset(&req, 0, sizeof(req));
	req.op = op;
	req.flags = flags;
	req.lba = lba;
	req.blocks = blocks;
	req.sg = sg;
	req.sg_count = n;
	return vscsi_blk_exec(dev, &req);
}

int vscsi_blk_read(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks, void *buf)
{
	const struct vscsi_lun_info *i = vscsi_lun_info(dev);
	if (!i || !buf)
		return -VSCSI_EINVAL;
	struct vscsi_sg sg = { buf, (size_t)(blocks * i->block_size) };
	return blocking_rw(dev, VSCSI_BLK_READ, lba, blocks, &sg, 1, 0);
}

int vscsi_blk_write(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks, const void *buf,
		    unsigned flags)
{
	const struct vscsi_lun_info *i = vscsi_lun_info(dev);
	if (!i || !buf)
		return -VSCSI_EINVAL;
	struct vscsi_sg sg = { (void *)buf, (size_t)(blocks * i->block_size) };
	return blocking_rw(dev, VSCSI_BLK_WRITE, lba, blocks, &sg, 1, flags);
}

int vscsi_blk_readv(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks,
		    const struct vscsi_sg *sg, unsigned n)
{
	return blocking_rw(dev, VSCSI_BLK_READ, lba, blocks, sg, n, 0);
}

int vscsi_blk_writev(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks,
		     const struct vscsi_sg *sg, unsigned n, unsigned flags)
{
	return blocking_rw(dev, VSCSI_BLK_WRITE, lba, blocks, sg, n, flags);
}

int vscsi_blk_flush(struct vscsi_lun *dev)
{
	return blocking_rw(dev, VSCSI_BLK_FLUSH, 0, 0, NULL, 0, 0);
}

int vscsi_blk_discard(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks)
{
	return blocking_rw(dev, VSCSI_BLK_DISCARD, lba, blocks, NULL, 0, 0);
}

/* --- the write cache at power-off and removal ------------------------------------- */

/* A disk whose caching mode page says WCE (SBC-4, caching mode page): what it
 * acknowledged may still be only in its cache. */
static bool cache_on(struct vscsi_lun *l)
{
	const struct vscsi_lun_info *i = vscsi_lun_info(l);
	return !i->gone && i->write_cache && i->medium && vscsi_blk_is_block(l) &&
	       i->type != SCSI_TYPE_CDROM && i->type != SCSI_TYPE_WORM;
}

/* SYNCHRONIZE CACHE of the whole LUN on every such disk of `c`; the first
 * failure (each is logged by vscsi_blk_exec). */
static int flush_ctrl(struct vscsi_ctrl *c)
{
	int first = 0;
	for (struct vscsi_lun *l = vscsi_ctrl_lun_next(c, NULL); l; l = vscsi_ctrl_lun_next(c, l)) {
		if (vs_ctrl_dead(c))
			return first ? first : -VSCSI_ENODEV;
		if (!cache_on(l))
			continue;
		const struct vscsi_lun_info *i = vscsi_lun_info(l);
		vs_log(vs_ctrl_glue(c), VS_LOG_DEBUG, "vscsi %u:0:%u:%u: %s: synchronizing the write "
		       "cache", i->host, i->target, i->lun, i->name);
		int r = vscsi_blk_flush(l);
		if (r && !first)
			first = r;
	}
	return first;
}

static void flush_on_remove(struct vscsi_ctrl *c)
{
	flush_ctrl(c);
}

int vscsi_blk_flush_all(void)
{
	hook_remove();
	int first = 0;
	for (struct vscsi_ctrl *c = vscsi_ctrl_next(NULL); c; c = vscsi_ctrl_next(c)) {
		if (vs_ctrl_dead(c))
			continue; /* nothing can reach its disks any more */
		int r = flush_ctrl(c);
		if (r && !first)
			first = r;
	}
	return first;
}
