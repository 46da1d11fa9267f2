/*
 * exec.c - SCSI commands on the public API: queueing one (vscsi_submit,
 * with the per-LUN limit on outstanding commands), sending one and waiting
 * for it (vscsi_exec*, with the retries the device asks for), and the
 * ready-made INQUIRY, TEST UNIT READY and READ CAPACITY.
 *
 *   submit_command    the LUN's cmd_per_lun limit (virtio 1.2 §5.6.4), then the adapter
 *   exec_command      BUSY / TASK SET FULL backoff (SAM-5 §5.3), unit attention
 *                     retries (SAM-5 §5.14: the command did not run)
 *   vscsi_read_capacity  READ CAPACITY (10), then (16) past 2^32 blocks (SBC-3)
 */
#include "scsi/internal.h"

#define BUSY_RETRIES 10
#define UA_RETRIES 8

/*
 * Check with the adapter, take a place among the LUN's outstanding
 * commands (no more than cmd_per_lun, virtio 1.2 §5.6.4: the LUN's
 * queue_depth), send; the adapter gives the place back when the command
 * completes, this function when it was not sent.
 */
static int submit_command(struct vscsi_ctrl *c, unsigned target, unsigned lun_id,
			  struct vscsi_lun *lun, struct vscsi_cmd *cmd, unsigned flags,
			  bool blocking)
{
	struct vs_cmd_plan plan;
	int r = vs_adapter_check(c->adapter, target, lun_id, cmd, &plan);
	if (r < 0)
		return r;
	/* An asynchronous command's deadline is watched by vscsi_poll (error.c);
	 * a blocking caller watches its own (vs_wait). */
	plan.deadline_ns = blocking ? 0
				    : vs_now(c->glue) +
					      (uint64_t)vs_timeout_ms(c, cmd->timeout_ms) * 1000000u;
	if (!lun)
		return vs_adapter_submit(c->adapter, cmd, &plan, flags, NULL);
	if (lun->info.gone)
		return -VSCSI_ENODEV;
	unsigned n = __atomic_add_fetch(&lun->inflight, 1, __ATOMIC_ACQ_REL);
	if (n > lun->info.queue_depth && lun->info.queue_depth)
		r = -VSCSI_EAGAIN;
	else
		r = vs_adapter_submit(c->adapter, cmd, &plan, flags, &lun->inflight);
	if (r < 0)
		__atomic_sub_fetch(&lun->inflight, 1, __ATOMIC_ACQ_REL);
	return r;
}

int vscsi_submit(struct vscsi_ctrl *c, unsigned target, unsigned lun, struct vscsi_cmd *cmd,
		 unsigned flags)
{
	if (!c || !cmd)
		return -VSCSI_EINVAL;
	return submit_command(c, target, lun, vs_lun_lookup(c, target, lun), cmd, flags, false);
}

int vscsi_lun_submit(struct vscsi_lun *lun, struct vscsi_cmd *cmd, unsigned flags)
{
	if (!lun || !cmd)
		return -VSCSI_EINVAL;
	return submit_command(lun->ctrl, lun->info.target, lun->info.lun, lun, cmd, flags, false);
}

void vscsi_kick(struct vscsi_ctrl *c)
{
	if (c)
		vs_adapter_kick(c->adapter);
}

/* CHECK CONDITION with UNIT ATTENTION sense: the command did not run. */
static bool is_unit_attention(const struct vscsi_cmd *cmd)
{
	struct scsi_sense s;
	if (cmd->result != -VSCSI_EIO || cmd->response != VSCSI_S_OK ||
	    cmd->status != SCSI_STATUS_CHECK_CONDITION)
		return false;
	if (scsi_sense_decode(cmd->sense, cmd->sense_len, &s) < 0)
		return false;
	return s.key == SCSI_SK_UNIT_ATTENTION;
}

static void log_failure(struct vscsi_ctrl *c, unsigned target, unsigned lun,
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

/* Send and wait, retrying what the device asks to be retried. */
static int exec_command(struct vscsi_ctrl *c, unsigned target, unsigned lun_id,
			struct vscsi_lun *lun, struct vscsi_cmd *cmd, unsigned flags)
{
	uint8_t own_sense[VS_SENSE_SIZE];
	bool borrowed = !cmd->sense || !cmd->sense_cap;
	if (borrowed) {
		cmd->sense = own_sense;
		cmd->sense_cap = sizeof(own_sense);
	}
	void (*saved_done)(struct vscsi_cmd *) = cmd->done;
	cmd->done = NULL;
	uint32_t timeout = vs_timeout_ms(c, cmd->timeout_ms);
	uint64_t start = vs_now(c->glue);
	unsigned busy = 0, ua = 0;
	int r;
	for (;;) {
		r = submit_command(c, target, lun_id, lun, cmd, 0, true);
		if (r == -VSCSI_EAGAIN) {
			/* All slots busy (or a reset running): let some finish. */
			if (vs_now(c->glue) - start > (uint64_t)timeout * 1000000u) {
				r = -VSCSI_ETIMEDOUT;
				break;
			}
			vs_adapter_drain(c->adapter);
			vs_delay_us(c->glue, 10);
			continue;
		}
		if (r < 0)
			break;
		r = vs_wait(c, cmd, timeout);
		if (r == -VSCSI_EBUSY && !(flags & VSCSI_EXEC_NO_RETRY) && busy < BUSY_RETRIES) {
			/* BUSY / TASK SET FULL / virtio BUSY: back off 1, 2, 4 ... 64 ms. */
			vs_delay_us(c->glue, 1000u << (busy < 6 ? busy : 6));
			busy++;
			continue;
		}
		if ((flags & VSCSI_EXEC_RETRY_UA) && ua < UA_RETRIES && is_unit_attention(cmd)) {
			ua++;
			continue;
		}
		break;
	}
	if (r < 0 && !(flags & VSCSI_EXEC_QUIET))
		log_failure(c, target, lun_id, cmd);
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
	return exec_command(c, target, lun, vs_lun_lookup(c, target, lun), cmd, flags);
}

int vscsi_lun_exec(struct vscsi_lun *lun, struct vscsi_cmd *cmd, unsigned flags)
{
	if (!lun || !cmd)
		return -VSCSI_EINVAL;
	return exec_command(lun->ctrl, lun->info.target, lun->info.lun, lun, cmd, flags);
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
	uint64_t n_blocks;
	uint32_t bs;
	unsigned n = scsi_cdb_read_capacity10(cdb);
	vs_memset(d, 0, sizeof(d));
	int r = vscsi_exec_simple(c, target, lun, cdb, n, VSCSI_DATA_FROM_DEVICE, d, 8, NULL, 0,
				  &resid, VSCSI_EXEC_RETRY_UA | VSCSI_EXEC_QUIET);
	if (r < 0)
		return r;
	if (!vs_parse_capacity10(d, 8 - resid, &n_blocks, &bs))
		return -VSCSI_EIO;
	if (n_blocks > 0xffffffffu) {
		/* 2^32 blocks or more: only (16) can say. */
		struct vscsi_lun_info cap;
		vs_memset(&cap, 0, sizeof(cap));
		n = scsi_cdb_read_capacity16(cdb, 32);
		r = vscsi_exec_simple(c, target, lun, cdb, n, VSCSI_DATA_FROM_DEVICE, d, 32, NULL,
				      0, &resid, VSCSI_EXEC_RETRY_UA | VSCSI_EXEC_QUIET);
		if (r < 0)
			return r;
		if (!vs_parse_capacity16(d, 32 - resid, &cap))
			return -VSCSI_EIO;
		n_blocks = cap.blocks;
		bs = cap.block_size;
	}
	if (blocks)
		*blocks = n_blocks;
	if (block_size)
		*block_size = bs;
	return 0;
}
