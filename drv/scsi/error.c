/*
 * error.c - waiting for a command with a deadline, and the escalation
 * ladder when it does not come back (the work of Linux's scsi_error.c).
 *
 * The ladder follows the task management model of SAM-5 §7: ABORT TASK for
 * the command's tag, then LOGICAL UNIT RESET, then a full device reset
 * (virtio 1.2 §2.4), which returns every buffer whatever the device does.
 * QEMU answers ABORT TASK with FUNCTION COMPLETE even when no command with
 * that tag is outstanding, so each step is judged by whether the command
 * came back, not by the TMF's response.  A blocking call returns only once
 * the device no longer owns the caller's buffers: either the command
 * completed or a reset reclaimed it.
 */
#include "scsi/internal.h"

#define ABORT_GRACE_MS 2000u
#define TMF_TIMEOUT_MS 5000u
#define MS 1000000ull
/* How often a waiter reads the device status for DEVICE_NEEDS_RESET (a
 * register read, slow under emulation). */
#define STATUS_PERIOD_NS 10000000u

/* Spin until `cmd` completes or `deadline` passes, servicing the device:
 * its queues are drained and it is reset if it asks for it. */
static bool wait_until(struct vscsi_ctrl *c, struct vscsi_cmd *cmd, uint64_t deadline)
{
	struct vs_adapter *a = c->adapter;
	uint64_t start = vs_now(c->glue), last_status = start;
	for (;;) {
		vs_adapter_drain(a);
		if (vs_adapter_cmd_done(cmd))
			return true;
		uint64_t now = vs_now(c->glue);
		if (vs_adapter_recover(a, now - last_status > STATUS_PERIOD_NS) &&
		    vs_adapter_cmd_done(cmd))
			return true;
		if (now - last_status > STATUS_PERIOD_NS)
			last_status = now;
		if (now >= deadline)
			return vs_adapter_cmd_done(cmd);
		/* Spin for the first millisecond (latency), then breathe. */
		if (now - start > MS)
			vs_delay_us(c->glue, 20);
	}
}

int vs_wait(struct vscsi_ctrl *c, struct vscsi_cmd *cmd, uint32_t timeout_ms)
{
	const struct vscsi_glue *g = c->glue;
	struct vs_adapter *a = c->adapter;
	if (wait_until(c, cmd, vs_now(g) + timeout_ms * MS))
		return cmd->result;

	/* From here on the command reports ETIMEDOUT whatever the device says. */
	struct vs_cmd_address at;
	if (!vs_adapter_time_out(a, cmd, &at))
		return cmd->result;
	c->timeouts++;
	vs_log(g, VS_LOG_WARN,
	       "vscsi host%u: %u:%u: command %#x (tag %#llx) timed out after %u ms: aborting",
	       c->host, at.target, at.lun, cmd->cdb[0], (unsigned long long)at.tag, timeout_ms);

	/* 1. ABORT TASK for exactly this tag. */
	uint8_t resp;
	int r = vs_adapter_tmf(a, at.target, at.lun, VSCSI_TMF_ABORT_TASK, at.tag, TMF_TIMEOUT_MS,
			       &resp);
	if (r == 0 && wait_until(c, cmd, vs_now(g) + ABORT_GRACE_MS * MS))
		return cmd->result;

	/* 2. LOGICAL UNIT RESET: in-flight commands of the LUN end with RESET. */
	if (r != -VSCSI_ETIMEDOUT && !vs_adapter_cmd_done(cmd)) {
		vs_log(g, VS_LOG_WARN, "vscsi host%u: %u:%u: abort did not finish the command: "
		       "resetting the LUN", c->host, at.target, at.lun);
		r = vs_adapter_tmf(a, at.target, at.lun, VSCSI_TMF_LOGICAL_UNIT_RESET, 0,
				   TMF_TIMEOUT_MS, &resp);
		if (r == 0 && wait_until(c, cmd, vs_now(g) + ABORT_GRACE_MS * MS))
			return cmd->result;
	}

	/* 3. Device reset: reclaims every buffer, whatever the device does. */
	if (!vs_adapter_cmd_done(cmd)) {
		vs_log(g, VS_LOG_WARN, "vscsi host%u: %u:%u: LUN reset did not help: resetting "
		       "the controller", c->host, at.target, at.lun);
		vs_adapter_reset(a, -VSCSI_ECONNRESET);
	}
	if (!vs_adapter_cmd_done(cmd)) {
		/* Only if a reset is already running elsewhere: wait for it. */
		wait_until(c, cmd, vs_now(g) + 60000u * MS);
	}
	return vs_adapter_cmd_done(cmd) ? cmd->result : -VSCSI_ETIMEDOUT;
}
