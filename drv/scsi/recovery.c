/*
 * recovery.c - blocking commands: waiting for completion with a timeout,
 * retrying what the device asks to be retried, and the escalation ladder
 * when a command does not come back.
 *
 * The ladder (spec-and-linux §7.6, §11.2.16): ABORT TASK for the command's
 * tag, then LOGICAL UNIT RESET, then a full device reset.  QEMU answers
 * ABORT TASK with FUNCTION COMPLETE even when the tag is unknown, so each
 * step is judged by whether the command came back, not by the TMF
 * response.  A blocking call returns only once the device no longer owns
 * the caller's buffers: either the command completed or a reset reclaimed
 * it.
 */
#include "scsi/internal.h"

#define VS_ABORT_GRACE_MS 2000u
#define VS_TMF_TIMEOUT_MS 5000u
#define VS_BUSY_RETRIES 10
#define VS_UA_RETRIES 8

static void vs_pause(const struct vscsi_ctrl *c, uint32_t us)
{
	if (c->glue->delay_us)
		c->glue->delay_us(c->glue->ctx, us);
}

/* Spin until `cmd` completes or `deadline` passes. */
static bool vs_wait_until(struct vscsi_ctrl *c, struct vscsi_cmd *cmd, uint64_t deadline)
{
	uint64_t start = vs_now(c), last_status = start;
	for (;;) {
		vs_drain_all(c);
		if (vs_cmd_is_done(cmd))
			return true;
		uint64_t now = vs_now(c);
		if (c->needs_reset || (now - last_status > 10000000u && virtio_needs_reset(c->dev))) {
			vs_log(c->glue, VS_LOG_WARN, "vscsi host%u: device needs reset", c->host);
			vs_ctrl_reset_internal(c, -VSCSI_ECONNRESET);
			if (vs_cmd_is_done(cmd))
				return true;
		}
		if (now - last_status > 10000000u)
			last_status = now;
		if (now >= deadline)
			return vs_cmd_is_done(cmd);
		/* Spin for the first millisecond (latency), then breathe. */
		if (now - start > 1000000u)
			vs_pause(c, 20);
	}
}

int vs_wait(struct vscsi_ctrl *c, struct vscsi_cmd *cmd, uint32_t timeout_ms)
{
	const struct vscsi_glue *g = c->glue;
	uint64_t ms = 1000000u;
	if (vs_wait_until(c, cmd, vs_now(c) + timeout_ms * ms))
		return cmd->result;

	struct vs_req *rq = vs_cmd_req(cmd);
	if (!rq)
		return cmd->result;
	struct vs_queue *q = rq->q;
	unsigned target = rq->target, lun = rq->lun_id;
	uint64_t tag = rq->tag;
	vs_lock(g, q->lock);
	if (vs_cmd_req(cmd) == rq && rq->state == VS_REQ_INFLIGHT) {
		rq->state = VS_REQ_TIMEDOUT;
		rq->timed_out = true;
	}
	vs_unlock(g, q->lock);
	c->stats.timeouts++;
	vs_log(g, VS_LOG_WARN,
	       "vscsi host%u: %u:%u: command %#x (tag %#llx) timed out after %u ms: aborting",
	       c->host, target, lun, cmd->cdb[0], (unsigned long long)tag, timeout_ms);

	/* 1. ABORT TASK for exactly this tag. */
	uint8_t resp;
	vs_lock(g, q->lock);
	if (vs_cmd_req(cmd) == rq)
		rq->state = VS_REQ_ABORTING;
	vs_unlock(g, q->lock);
	int r = vscsi_tmf(c, target, lun, VSCSI_TMF_ABORT_TASK, tag, VS_TMF_TIMEOUT_MS, &resp);
	if (r == 0 && vs_wait_until(c, cmd, vs_now(c) + VS_ABORT_GRACE_MS * ms))
		return cmd->result;

	/* 2. LOGICAL UNIT RESET: in-flight commands of the LUN end with RESET. */
	if (r != -VSCSI_ETIMEDOUT && !vs_cmd_is_done(cmd)) {
		vs_log(g, VS_LOG_WARN, "vscsi host%u: %u:%u: abort did not finish the command: "
		       "resetting the LUN", c->host, target, lun);
		r = vscsi_tmf(c, target, lun, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, VS_TMF_TIMEOUT_MS,
			      &resp);
		if (r == 0 && vs_wait_until(c, cmd, vs_now(c) + VS_ABORT_GRACE_MS * ms))
			return cmd->result;
	}

	/* 3. Device reset: reclaims every buffer, whatever the device does. */
	if (!vs_cmd_is_done(cmd)) {
		vs_log(g, VS_LOG_WARN, "vscsi host%u: %u:%u: LUN reset did not help: resetting "
		       "the controller", c->host, target, lun);
		vs_ctrl_reset_internal(c, -VSCSI_ECONNRESET);
	}
	if (!vs_cmd_is_done(cmd)) {
		/* Only if a reset is already running elsewhere: wait for it. */
		vs_wait_until(c, cmd, vs_now(c) + 60000u * ms);
	}
	return vs_cmd_is_done(cmd) ? cmd->result : -VSCSI_ETIMEDOUT;
}

static bool vs_is_unit_attention(const struct vscsi_cmd *cmd)
{
	struct scsi_sense s;
	if (cmd->result != -VSCSI_EIO || cmd->response != VSCSI_S_OK ||
	    cmd->status != SCSI_STATUS_CHECK_CONDITION)
		return false;
	if (scsi_sense_decode(cmd->sense, cmd->sense_len, &s) < 0)
		return false;
	return s.key == SCSI_SK_UNIT_ATTENTION;
}

static void vs_log_failure(struct vscsi_ctrl *c, unsigned target, unsigned lun,
			   const struct vscsi_cmd *cmd)
{
	char text[120] = "";
	if (cmd->response == VSCSI_S_OK && cmd->status == SCSI_STATUS_CHECK_CONDITION) {
		struct scsi_sense s;
		if (scsi_sense_decode(cmd->sense, cmd->sense_len, &s) == 0)
			scsi_sense_format(&s, text, sizeof(text));
	}
	vs_log(c->glue, VS_LOG_INFO, "vscsi host%u: %u:%u: %s (%#x) failed: %s, response %s, "
	       "status %s%s%s", c->host, target, lun,
	       scsi_opcode_name(cmd->cdb[0]) ? scsi_opcode_name(cmd->cdb[0]) : "command",
	       cmd->cdb[0], vscsi_strerror(cmd->result), vscsi_response_name(cmd->response),
	       scsi_status_name(cmd->status), text[0] ? ", " : "", text);
}

static int vs_exec(struct vscsi_ctrl *c, unsigned target, unsigned lun_id, struct vscsi_lun *lun,
		   struct vscsi_cmd *cmd, unsigned flags)
{
	uint8_t own_sense[VIRTIO_SCSI_SENSE_SIZE];
	bool borrowed = !cmd->sense || !cmd->sense_cap;
	if (borrowed) {
		cmd->sense = own_sense;
		cmd->sense_cap = sizeof(own_sense);
	}
	void (*saved_done)(struct vscsi_cmd *) = cmd->done;
	cmd->done = NULL;
	uint32_t timeout = vs_timeout_ms(c, cmd->timeout_ms);
	uint64_t start = vs_now(c);
	unsigned busy = 0, ua = 0;
	int r;
	for (;;) {
		r = vs_submit(c, target, lun_id, lun, cmd, 0);
		if (r == -VSCSI_EAGAIN) {
			/* All slots busy (or a reset running): let some finish. */
			if (vs_now(c) - start > (uint64_t)timeout * 1000000u) {
				r = -VSCSI_ETIMEDOUT;
				break;
			}
			vs_drain_all(c);
			vs_pause(c, 10);
			continue;
		}
		if (r < 0)
			break;
		r = vs_wait(c, cmd, timeout);
		if (r == -VSCSI_EBUSY && !(flags & VSCSI_EXEC_NO_RETRY) && busy < VS_BUSY_RETRIES) {
			/* BUSY / TASK SET FULL / virtio BUSY: back off 1, 2, 4 ... 64 ms. */
			vs_pause(c, 1000u << (busy < 6 ? busy : 6));
			busy++;
			continue;
		}
		if ((flags & VSCSI_EXEC_RETRY_UA) && ua < VS_UA_RETRIES && vs_is_unit_attention(cmd)) {
			ua++;
			continue;
		}
		break;
	}
	if (r < 0 && !(flags & VSCSI_EXEC_QUIET))
		vs_log_failure(c, target, lun_id, cmd);
	if (borrowed) {
		cmd->sense = NULL;
		cmd->sense_cap = 0;
		cmd->sense_len = 0;
	}
	cmd->done = saved_done;
	return r;
}

int vscsi_exec(struct vscsi_ctrl *c, unsigned target, unsigned lun, struct vscsi_cmd *cmd,
	       unsigned flags)
{
	if (!c || !cmd)
		return -VSCSI_EINVAL;
	return vs_exec(c, target, lun, vs_lun_lookup(c, target, lun), cmd, flags);
}

int vscsi_lun_exec(struct vscsi_lun *lun, struct vscsi_cmd *cmd, unsigned flags)
{
	if (!lun || !cmd)
		return -VSCSI_EINVAL;
	return vs_exec(lun->ctrl, lun->info.target, lun->info.lun, lun, cmd, flags);
}

int vscsi_exec_simple(struct vscsi_ctrl *c, unsigned target, unsigned lun, const uint8_t *cdb,
		      unsigned cdb_len, enum vscsi_data_dir dir, void *buf, size_t len,
		      uint8_t *sense, uint32_t sense_cap, uint32_t *resid, unsigned flags)
{
	struct vscsi_sg sg = { buf, len };
	struct vscsi_cmd cmd;
	vs_memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)cdb_len;
	cmd.dir = len ? dir : VSCSI_DATA_NONE;
	cmd.sg = len ? &sg : NULL;
	cmd.sg_count = len ? 1 : 0;
	cmd.sense = sense;
	cmd.sense_cap = sense_cap;
	cmd.queue = VSCSI_QUEUE_ANY;
	if (cdb_len > 255)
		return -VSCSI_EINVAL;
	int r = vscsi_exec(c, target, lun, &cmd, flags);
	if (resid)
		*resid = cmd.resid;
	return r;
}

int vscsi_inquiry(struct vscsi_ctrl *c, unsigned target, unsigned lun, bool evpd, uint8_t page,
		  void *buf, uint16_t len, uint32_t *got)
{
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned n = scsi_cdb_inquiry(cdb, evpd, page, len);
	uint32_t resid = len;
	int r = vscsi_exec_simple(c, target, lun, cdb, n, VSCSI_DATA_FROM_DEVICE, buf, len, NULL,
				  0, &resid, VSCSI_EXEC_QUIET);
	if (got)
		*got = r == 0 ? len - resid : 0;
	return r;
}

int vscsi_test_unit_ready(struct vscsi_ctrl *c, unsigned target, unsigned lun, uint8_t *sense,
			  uint32_t sense_cap)
{
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned n = scsi_cdb_test_unit_ready(cdb);
	return vscsi_exec_simple(c, target, lun, cdb, n, VSCSI_DATA_NONE, NULL, 0, sense,
				 sense_cap, NULL, VSCSI_EXEC_QUIET);
}

int vscsi_read_capacity(struct vscsi_ctrl *c, unsigned target, unsigned lun, uint64_t *blocks,
			uint32_t *block_size)
{
	uint8_t cdb[SCSI_MAX_CDB];
	uint8_t d[32];
	uint32_t resid;
	unsigned n = scsi_cdb_read_capacity10(cdb);
	vs_memset(d, 0, sizeof(d));
	int r = vscsi_exec_simple(c, target, lun, cdb, n, VSCSI_DATA_FROM_DEVICE, d, 8, NULL, 0,
				  &resid, VSCSI_EXEC_RETRY_UA | VSCSI_EXEC_QUIET);
	if (r < 0)
		return r;
	if (resid > 0)
		return -VSCSI_EIO;
	uint64_t last = vs_be32(d);
	uint32_t bs = vs_be32(d + 4);
	if (last == 0xffffffffu) {
		/* SBC-3 §5.16: 2^32 blocks or more: only (16) can say. */
		n = scsi_cdb_read_capacity16(cdb, 32);
		r = vscsi_exec_simple(c, target, lun, cdb, n, VSCSI_DATA_FROM_DEVICE, d, 32, NULL,
				      0, &resid, VSCSI_EXEC_RETRY_UA | VSCSI_EXEC_QUIET);
		if (r < 0)
			return r;
		if (resid > 20)
			return -VSCSI_EIO;
		last = vs_be64(d);
		bs = vs_be32(d + 8);
	}
	if (blocks)
		*blocks = last + 1;
	if (block_size)
		*block_size = bs;
	return 0;
}
