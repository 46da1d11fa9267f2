/*
 * error.c - waiting for a command with a deadline, and the escalation
 * ladder when it does not come back (the work of Linux's scsi_error.c).
 *
 * The ladder follows the task management model of SAM-5 §7 and the TMFs
 * virtio-scsi carries (virtio 1.2 §5.6.6.2), from the narrowest to the
 * widest, stopping at the first rung after which the command is no longer
 * with the device:
 *
 *   1. ABORT TASK for the command's tag          (SAM-5 §7.2)
 *   2. LOGICAL UNIT RESET for its LUN            (SAM-5 §7.7)
 *   3. I_T NEXUS RESET for its target            (SAM-5 §7.6)
 *   4. device reset and re-initialisation        (virtio 1.2 §2.4, §3.1.1)
 *
 * Each rung is logged as what it is and counted (vscsi_ctrl_info).  A TMF
 * that is not answered within the step time moves to the next rung (not
 * two rungs on).  QEMU answers ABORT TASK with FUNCTION COMPLETE even when
 * no command with that tag is outstanding, so a rung is judged by whether
 * the command came back, not by the TMF's response.  The device reset
 * returns every buffer whatever the device does; if the reset itself does
 * not complete, the adapter is dead and every outstanding command
 * completes with an error at once (drv/virtio_scsi/adapter.c keeps the
 * memory the device may still write).  A blocking call therefore returns
 * only once the device no longer owns the caller's buffers, or can no
 * longer reach them.
 *
 * Who runs the ladder:
 *   - a blocking caller (vscsi_exec*) whose command passed its timeout:
 *     vs_wait, in the caller's thread;
 *   - an asynchronous command (vscsi_submit, vscsi_lun_submit and
 *     vscsi_blk_submit through them) carries a deadline; vscsi_poll finds
 *     the expired ones (vs_check_deadlines) and runs the same ladder for
 *     each, blocking, from poll context.  Not a state machine: every rung
 *     is bounded (recovery_step_ms for the TMF's answer, the same again for
 *     the command to come back; the reset by the transport's bounded wait),
 *     so one vscsi_poll blocks at most about 6 steps plus a reset, and the
 *     TMFs are waited for synchronously anyway (the control queue's answer
 *     is polled).  Never from interrupt context: the ladder sends commands
 *     and waits, and vscsi_poll is thread context by contract (vscsi.h).
 */
#include "scsi/internal.h"

#define MS 1000000ull
#define DEFAULT_STEP_MS 5000u
/* How often a waiter reads the device status for DEVICE_NEEDS_RESET (a
 * register read, slow under emulation). */
#define STATUS_PERIOD_NS 10000000u

static uint32_t step_ms(const struct vscsi_ctrl *c)
{
	return c->opts.recovery_step_ms ? c->opts.recovery_step_ms : DEFAULT_STEP_MS;
}

/* Whether the waited-for command is done: a blocking caller's `cmd` (its
 * memory is the caller's until we return), or, for a command of the poll
 * path, its tag (its memory may be freed the moment it completes). */
struct waited {
	struct vscsi_cmd *cmd;          /* NULL: judge by `at` only */
	struct vs_cmd_address at;
};

static bool is_done(struct vscsi_ctrl *c, const struct waited *w)
{
	if (w->cmd)
		return vs_adapter_cmd_done(w->cmd);
	return !vs_adapter_outstanding(c->adapter, &w->at);
}

/* Spin until the command completes or `deadline` passes, servicing the
 * device: its queues are drained and it is reset if it asks for it. */
static bool wait_until(struct vscsi_ctrl *c, const struct waited *w, uint64_t deadline)
{
	struct vs_adapter *a = c->adapter;
	uint64_t start = vs_now(c->glue), last_status = start;
	for (;;) {
		vs_adapter_drain(a);
		if (is_done(c, w))
			return true;
		uint64_t now = vs_now(c->glue);
		if (vs_adapter_recover(a, now - last_status > STATUS_PERIOD_NS) && is_done(c, w))
			return true;
		if (now - last_status > STATUS_PERIOD_NS)
			last_status = now;
		if (now >= deadline || vs_adapter_is_dead(a))
			return is_done(c, w);
		/* Spin for the first millisecond (latency), then breathe. */
		if (now - start > MS)
			vs_delay_us(c->glue, 20);
	}
}

/* Rungs 1-4 for a command that is past its deadline and marked timed out
 * (vs_adapter_time_out / vs_adapter_expired).  Returns with the command
 * no longer the device's. */
static void escalate(struct vscsi_ctrl *c, const struct waited *w)
{
	static const enum vscsi_tmf rungs[] = {
		VSCSI_TMF_ABORT_TASK,
		VSCSI_TMF_LOGICAL_UNIT_RESET,
		VSCSI_TMF_I_T_NEXUS_RESET,
	};
	const struct vscsi_glue *g = c->glue;
	struct vs_adapter *a = c->adapter;
	const struct vs_cmd_address *at = &w->at;
	uint32_t step = step_ms(c);

	for (unsigned i = 0; i < VS_ARRAY_SIZE(rungs); i++) {
		if (is_done(c, w) || vs_adapter_is_dead(a))
			return;
		const char *name = vscsi_tmf_name(rungs[i]);
		vs_log(g, VS_LOG_WARN, "vscsi host%u: %u:%u: command %#x (tag %#llx) still "
		       "outstanding: %s", c->host, at->target, at->lun, at->opcode,
		       (unsigned long long)at->tag, name);
		uint8_t resp = 0;
		uint64_t tag = rungs[i] == VSCSI_TMF_ABORT_TASK ? at->tag : 0;
		int r = vs_adapter_tmf(a, at->target, at->lun, rungs[i], tag, step, &resp);
		/* Answered or not, the command may have come back meanwhile
		 * (the device completes affected commands before the TMF). */
		if (wait_until(c, w, vs_now(g) + (r == 0 ? step * MS : 0))) {
			vs_log(g, VS_LOG_INFO, "vscsi host%u: %u:%u: %s ended command %#x", c->host,
			       at->target, at->lun, name, at->opcode);
			return;
		}
		if (r == 0)
			vs_log(g, VS_LOG_WARN, "vscsi host%u: %u:%u: %s answered %s but the command "
			       "did not come back within %u ms", c->host, at->target, at->lun, name,
			       resp == VSCSI_S_FUNCTION_COMPLETE ? "FUNCTION COMPLETE"
								 : vscsi_response_name(resp),
			       step);
		/* r < 0: vs_adapter_tmf logged why (no answer, ...). */
	}
	if (is_done(c, w) || vs_adapter_is_dead(a))
		return;

	/* 4. Device reset: reclaims every buffer, whatever the device does. */
	vs_log(g, VS_LOG_WARN, "vscsi host%u: %u:%u: command %#x (tag %#llx) still outstanding "
	       "after every task management function: resetting the device", c->host,
	       at->target, at->lun, at->opcode, (unsigned long long)at->tag);
	vs_adapter_reset(a, -VSCSI_ECONNRESET);
	/* A reset already running elsewhere (another CPU) finishes with every
	 * command taken back; its wait for the device is bounded. */
	while (!is_done(c, w) && vs_adapter_resetting(a))
		vs_delay_us(g, 20);
}

int vs_wait(struct vscsi_ctrl *c, struct vscsi_cmd *cmd, uint32_t timeout_ms)
{
	const struct vscsi_glue *g = c->glue;
	struct vs_adapter *a = c->adapter;
	struct waited w = { .cmd = cmd };
	if (wait_until(c, &w, vs_now(g) + timeout_ms * MS))
		return cmd->result;

	/* From here on the command reports ETIMEDOUT whatever the device says. */
	bool mine;
	if (!vs_adapter_time_out(a, cmd, &w.at, &mine))
		return cmd->result;
	if (mine) {
		c->timeouts++;
		vs_log(g, VS_LOG_WARN,
		       "vscsi host%u: %u:%u: command %#x (tag %#llx) timed out after %u ms",
		       c->host, w.at.target, w.at.lun, w.at.opcode, (unsigned long long)w.at.tag,
		       timeout_ms);
		escalate(c, &w);
	}
	/* Our ladder ended with the command back; or someone else (the poll
	 * path, on another CPU) escalates it, and their ladder is bounded. */
	while (!vs_adapter_cmd_done(cmd)) {
		vs_adapter_drain(a);
		if (!vs_adapter_cmd_done(cmd))
			vs_delay_us(g, 20);
	}
	return cmd->result;
}

void vs_check_deadlines(struct vscsi_ctrl *c)
{
	if (c->in_recovery)
		return;
	c->in_recovery = true;
	struct waited w = { .cmd = NULL };
	while (vs_adapter_expired(c->adapter, vs_now(c->glue), &w.at)) {
		c->timeouts++;
		vs_log(c->glue, VS_LOG_WARN,
		       "vscsi host%u: %u:%u: command %#x (tag %#llx) timed out: its deadline "
		       "passed",
		       c->host, w.at.target, w.at.lun, w.at.opcode, (unsigned long long)w.at.tag);
		escalate(c, &w);
	}
	c->in_recovery = false;
}
