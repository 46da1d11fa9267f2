/*
 * test_recovery.c - commands that do not come back (drv/scsi/error.c) and
 * device resets (drv/virtio_scsi/adapter.c), against the SCSI target
 * model holding READs: ABORT TASK with the command's own tag, LOGICAL UNIT
 * RESET when the abort does nothing, a device reset when that does
 * nothing either; a reset reclaims what the device held and the event
 * buffers are posted again.  The whole ladder (ABORT TASK, LOGICAL UNIT
 * RESET, I_T NEXUS RESET, device reset) rung by rung, with TMFs that are
 * ignored or never answered; deadlines of asynchronous commands, met from
 * vscsi_poll alone; a device whose reset never completes: an error for
 * every caller, DMA stopped, no buffer written after it went back, rings
 * kept; a configuration that cannot be read after a reset.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "support/runner.h"

#include "blk/internal.h"
#include "sim/scsi_target.h"
#include "support/host_glue.h"
#include "virtio_scsi/internal.h"

static void test_timeout_ladder(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	model.hold_reads = true;
	uint8_t cdb[16], b[512];
	unsigned n = scsi_cdb_read10(cdb, 0, 1, false);
	struct vscsi_cmd cmd;
	struct vscsi_sg sg = { b, 512 };
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_FROM_DEVICE;
	cmd.sg = &sg;
	cmd.sg_count = 1;
	cmd.timeout_ms = 50;
	host_glue_log_reset();
	assert_int_equal(vscsi_exec(ctrl, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	/* ABORT TASK with the command's own tag finished it. */
	assert_int_equal(model.last_tmf, VSCSI_TMF_ABORT_TASK);
	assert_true(model.last_tmf_tag == cmd.tag);
	assert_true(host_glue_log_contains("timed out"));
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.timeouts, 1);
	assert_int_equal(ci.device_resets, 0);
	/* The slot is free again and tags are never reused. */
	model.hold_reads = false;
	uint64_t old = cmd.tag;
	assert_int_equal(vscsi_exec(ctrl, 0, 0, &cmd, VSCSI_EXEC_QUIET), 0);
	assert_true(cmd.tag != old);
	assert_int_equal(model.dup_tags, 0);
	tear_down();
}

/* Abort does nothing: LUN reset; that and the I_T nexus reset do nothing
 * either: device reset.  Each step waits its grace period (the fixture's
 * recovery_step_ms). */
static void test_timeout_escalation(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	uint8_t cdb[16], b[512];
	unsigned n = scsi_cdb_read10(cdb, 0, 1, false);
	struct vscsi_cmd cmd;
	struct vscsi_sg sg = { b, 512 };
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_FROM_DEVICE;
	cmd.sg = &sg;
	cmd.sg_count = 1;
	cmd.timeout_ms = 20;

	/* 1. ABORT TASK ignored, LUN reset cancels it (response RESET). */
	model.hold_reads = true;
	model.ignore_abort = true;
	assert_int_equal(vscsi_exec(ctrl, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	assert_int_equal(model.tmf_count[VSCSI_TMF_ABORT_TASK], 1);
	assert_int_equal(model.tmf_count[VSCSI_TMF_LOGICAL_UNIT_RESET], 1);
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.device_resets, 0);

	/* 2. Every TMF ignored: the device reset reclaims the buffers. */
	model.ignore_lun_reset = true;
	model.ignore_nexus_reset = true;
	assert_int_equal(vscsi_exec(ctrl, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	assert_int_equal(model.tmf_count[VSCSI_TMF_LOGICAL_UNIT_RESET], 2);
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.device_resets, 1);
	assert_int_equal(ci.timeouts, 2);
	/* The device forgot the command across the reset; all works again. */
	for (unsigned i = 0; i < MODEL_MAX_HELD; i++)
		if (model.held[i].used) {
			free(model.held[i].chain);
			model.held[i].chain = NULL;
			model.held[i].used = false;
		}
	model.n_outstanding = 0;
	model.hold_reads = false;
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b), 0);
	assert_int_equal(model.sim.driver_errors, 0);
	assert_int_equal(model.dup_tags, 0);
	tear_down();
}

static void test_device_reset_reclaims(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	model.hold_reads = true;
	uint8_t cdb[16], b[512];
	unsigned n = scsi_cdb_read10(cdb, 0, 1, false);
	struct vscsi_cmd cmd;
	struct vscsi_sg sg = { b, 512 };
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_FROM_DEVICE;
	cmd.sg = &sg;
	cmd.sg_count = 1;
	cmd.queue = VSCSI_QUEUE_ANY;
	assert_int_equal(vscsi_submit(ctrl, 0, 0, &cmd, 0), 0);
	vscsi_poll(ctrl);
	assert_false(vs_adapter_cmd_done(&cmd));
	/* The model forgets the held command, as a device does across reset. */
	for (unsigned i = 0; i < MODEL_MAX_HELD; i++)
		if (model.held[i].used) {
			free(model.held[i].chain);
			model.held[i].chain = NULL;
			model.held[i].used = false;
		}
	model.n_outstanding = 0;
	model.nev = 0;
	assert_int_equal(vscsi_ctrl_reset(ctrl), 0);
	assert_true(vs_adapter_cmd_done(&cmd));
	assert_int_equal(cmd.result, -VSCSI_ECONNRESET);
	assert_int_equal(model.nev, 8); /* event buffers posted again */
	model.hold_reads = false;
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b), 0);
	assert_int_equal(model.sim.driver_errors, 0);
	tear_down();
}


/* --- the whole ladder (issue 9, item 6) -------------------------------------------- */

static void read_cmd(struct vscsi_cmd *cmd, struct vscsi_sg *sg, uint8_t *cdb, void *buf,
		     uint32_t timeout_ms)
{
	unsigned n = scsi_cdb_read10(cdb, 0, 1, false);
	memset(cmd, 0, sizeof(*cmd));
	sg->addr = buf;
	sg->len = 512;
	cmd->cdb = cdb;
	cmd->cdb_len = (uint8_t)n;
	cmd->dir = VSCSI_DATA_FROM_DEVICE;
	cmd->sg = sg;
	cmd->sg_count = 1;
	cmd->queue = VSCSI_QUEUE_ANY;
	cmd->timeout_ms = timeout_ms;
}

static struct vscsi_ctrl_info info(void)
{
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	return ci;
}

static void up_with_one_disk(void)
{
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	host_glue_log_reset();
}

/* The device never answers ABORT TASK: the TMF times out and the ladder
 * goes on to LOGICAL UNIT RESET (one rung, not two), which works. */
static void test_ladder_abort_unanswered(void **state)
{
	(void)state;
	up_with_one_disk();
	model.hold_reads = true;
	model.tmf_no_answer = 1u << VSCSI_TMF_ABORT_TASK;
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[16], b[512];
	read_cmd(&cmd, &sg, cdb, b, 50);
	assert_int_equal(vscsi_exec(ctrl, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	assert_int_equal(model.tmfs_unanswered, 1);
	assert_int_equal(model.tmf_count[VSCSI_TMF_ABORT_TASK], 1);
	assert_int_equal(model.tmf_count[VSCSI_TMF_LOGICAL_UNIT_RESET], 1);
	assert_int_equal(model.tmf_count[VSCSI_TMF_I_T_NEXUS_RESET], 0);
	struct vscsi_ctrl_info ci = info();
	assert_int_equal(ci.timeouts, 1);
	assert_int_equal(ci.aborts, 1);
	assert_int_equal(ci.lun_resets, 1);
	assert_int_equal(ci.nexus_resets, 0);
	assert_int_equal(ci.device_resets, 0);
	assert_true(host_glue_log_contains("ABORT TASK"));
	assert_true(host_glue_log_contains("LOGICAL UNIT RESET"));
	assert_false(host_glue_log_contains("resetting the device"));
	tear_down();
}

/* Each rung is reached in order, each logged as what it is and counted:
 * ABORT TASK and LOGICAL UNIT RESET answered but useless, I_T NEXUS RESET
 * ends the command. */
static void test_ladder_nexus_reset(void **state)
{
	(void)state;
	up_with_one_disk();
	model.hold_reads = true;
	model.ignore_abort = true;
	model.ignore_lun_reset = true;
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[16], b[512];
	read_cmd(&cmd, &sg, cdb, b, 50);
	assert_int_equal(vscsi_exec(ctrl, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	assert_int_equal(model.tmf_count[VSCSI_TMF_ABORT_TASK], 1);
	assert_int_equal(model.tmf_count[VSCSI_TMF_LOGICAL_UNIT_RESET], 1);
	assert_int_equal(model.tmf_count[VSCSI_TMF_I_T_NEXUS_RESET], 1);
	const uint8_t order[] = { VSCSI_TMF_ABORT_TASK, VSCSI_TMF_LOGICAL_UNIT_RESET,
				  VSCSI_TMF_I_T_NEXUS_RESET };
	assert_int_equal(model.n_tmf_order, 3);
	assert_memory_equal(model.tmf_order, order, 3);
	struct vscsi_ctrl_info ci = info();
	assert_int_equal(ci.aborts, 1);
	assert_int_equal(ci.lun_resets, 1);
	assert_int_equal(ci.nexus_resets, 1);
	assert_int_equal(ci.device_resets, 0);
	assert_true(host_glue_log_contains("I_T NEXUS RESET"));
	assert_false(host_glue_log_contains("resetting the device"));
	tear_down();
}

/* Every TMF ignored (answered, nothing cancelled), then every TMF
 * unanswered: the device reset is the fourth rung, after the other three. */
static void ladder_to_device_reset(bool unanswered)
{
	up_with_one_disk();
	model.hold_reads = true;
	if (unanswered) {
		model.tmf_no_answer = 1u << VSCSI_TMF_ABORT_TASK |
				      1u << VSCSI_TMF_LOGICAL_UNIT_RESET |
				      1u << VSCSI_TMF_I_T_NEXUS_RESET;
	} else {
		model.ignore_abort = true;
		model.ignore_lun_reset = true;
		model.ignore_nexus_reset = true;
	}
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[16], b[512];
	read_cmd(&cmd, &sg, cdb, b, 50);
	assert_int_equal(vscsi_exec(ctrl, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	assert_int_equal(model.tmf_count[VSCSI_TMF_ABORT_TASK], 1);
	assert_int_equal(model.tmf_count[VSCSI_TMF_LOGICAL_UNIT_RESET], 1);
	assert_int_equal(model.tmf_count[VSCSI_TMF_I_T_NEXUS_RESET], 1);
	assert_int_equal(model.tmfs_unanswered, unanswered ? 3 : 0);
	/* In this order, and nothing else. */
	const uint8_t order[] = { VSCSI_TMF_ABORT_TASK, VSCSI_TMF_LOGICAL_UNIT_RESET,
				  VSCSI_TMF_I_T_NEXUS_RESET };
	assert_int_equal(model.n_tmf_order, 3);
	assert_memory_equal(model.tmf_order, order, 3);
	struct vscsi_ctrl_info ci = info();
	assert_int_equal(ci.aborts, 1);
	assert_int_equal(ci.lun_resets, 1);
	assert_int_equal(ci.nexus_resets, 1);
	assert_int_equal(ci.device_resets, 1);
	assert_false(ci.dead);
	assert_true(host_glue_log_contains("ABORT TASK"));
	assert_true(host_glue_log_contains("LOGICAL UNIT RESET"));
	assert_true(host_glue_log_contains("I_T NEXUS RESET"));
	assert_true(host_glue_log_contains("resetting the device"));
	/* The device forgot everything across the reset; all works again,
	 * the control queue included. */
	model.hold_reads = false;
	model.tmf_no_answer = 0;
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b), 0);
	uint8_t resp = 0xee;
	assert_int_equal(vscsi_tmf(ctrl, 0, 0, VSCSI_TMF_QUERY_TASK_SET, 0, 1000, &resp), 0);
	assert_int_equal(model.sim.driver_errors, 0);
	assert_int_equal(model.dup_tags, 0);
	tear_down();
}

static void test_ladder_device_reset_tmfs_ignored(void **state)
{
	(void)state;
	ladder_to_device_reset(false);
}

static void test_ladder_device_reset_tmfs_unanswered(void **state)
{
	(void)state;
	ladder_to_device_reset(true);
}

/* --- asynchronous commands have deadlines too ------------------------------------ */

static unsigned async_done;
static int async_result;

static void on_done(struct vscsi_cmd *cmd)
{
	async_done++;
	async_result = cmd->result;
}

static bool poll_until_done(unsigned want, unsigned max_ms)
{
	for (unsigned i = 0; i < max_ms && async_done < want; i++) {
		vscsi_poll(ctrl);
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return async_done >= want;
}

/* vscsi_submit with its own timeout, then nothing but vscsi_poll: the
 * callback comes with ETIMEDOUT after the deadline, through the ladder. */
static void test_async_deadline_own_timeout(void **state)
{
	(void)state;
	up_with_one_disk();
	model.hold_reads = true;
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[16], b[512];
	read_cmd(&cmd, &sg, cdb, b, 50);
	cmd.done = on_done;
	async_done = 0;
	assert_int_equal(vscsi_submit(ctrl, 0, 0, &cmd, 0), 0);
	vscsi_poll(ctrl);
	assert_int_equal(async_done, 0); /* not before its deadline */
	assert_true(poll_until_done(1, 5000));
	assert_int_equal(async_done, 1);
	assert_int_equal(async_result, -VSCSI_ETIMEDOUT);
	assert_int_equal(model.tmf_count[VSCSI_TMF_ABORT_TASK], 1);
	assert_true(model.last_tmf_tag == cmd.tag);
	assert_int_equal(info().timeouts, 1);
	assert_true(host_glue_log_contains("timed out"));
	tear_down();
}

/* Without a timeout of its own, the controller's default applies
 * (vscsi_opts.cmd_timeout_ms), through vscsi_lun_submit too. */
static void test_async_deadline_default(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0, .cmd_timeout_ms = 100 };
	assert_int_equal(bring_up(&fo), 0);
	model.hold_reads = true;
	model.ignore_abort = true; /* the LUN reset ends it */
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[16], b[512];
	read_cmd(&cmd, &sg, cdb, b, 0);
	cmd.done = on_done;
	async_done = 0;
	assert_int_equal(vscsi_lun_submit(vscsi_lun_find("sda"), &cmd, 0), 0);
	assert_true(poll_until_done(1, 5000));
	assert_int_equal(async_result, -VSCSI_ETIMEDOUT);
	assert_int_equal(model.tmf_count[VSCSI_TMF_LOGICAL_UNIT_RESET], 1);
	assert_int_equal(info().lun_resets, 1);
	/* A command that completes in time is not touched (the unit
	 * attention the LUN reset left is dropped: raw commands see it). */
	model.hold_reads = false;
	model_find_lun(0, 0)->ua = false;
	read_cmd(&cmd, &sg, cdb, b, 0);
	cmd.done = on_done;
	assert_int_equal(vscsi_lun_submit(vscsi_lun_find("sda"), &cmd, 0), 0);
	assert_true(poll_until_done(2, 1000));
	assert_int_equal(async_result, 0);
	assert_int_equal(info().timeouts, 1);
	tear_down();
}

/* --- a device whose reset never completes (issue 9, items 11 and 17) ------------- */

/* The rings of the device, as the simulated device knows them. */
static unsigned ring_addresses(uint64_t *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < model.sim.nqueues && n + 3 <= max; i++) {
		if (!model.sim.q[i].ready)
			continue;
		out[n++] = model.sim.q[i].desc;
		out[n++] = model.sim.q[i].driver;
		out[n++] = model.sim.q[i].device;
	}
	return n;
}

/* A READ that never comes back on a device that cannot be reset: the
 * blocking call returns an error without waiting for ever, the controller
 * is dead and says so, its DMA is stopped, so the device's late write
 * cannot reach the buffer the caller got back and freed (AddressSanitizer
 * watches), and removing the controller keeps the rings the device may
 * still own. */
static void test_stuck_reset_no_use_after_free(void **state)
{
	(void)state;
	up_with_one_disk();
	model.hold_reads = true;
	model.ignore_abort = model.ignore_lun_reset = model.ignore_nexus_reset = true;
	model.sim.reset_stuck = true;
	struct vscsi_cmd *cmd = malloc(sizeof(*cmd));
	struct vscsi_sg sg;
	uint8_t cdb[16];
	uint8_t *buf = malloc(512);
	read_cmd(cmd, &sg, cdb, buf, 50);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = vscsi_exec(ctrl, 0, 0, cmd, VSCSI_EXEC_QUIET);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(r == -VSCSI_ETIMEDOUT || r == -VSCSI_ENODEV);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	/* The caller owns both again: it frees them; the device answers late. */
	free(buf);
	free(cmd);
	assert_int_equal(model_complete_held(0xab), 1);
	assert_true(model.sim.dma_stopped);
	assert_true(model.sim.dma_blocked > 0);
	vscsi_poll(ctrl);
	struct vscsi_ctrl_info ci = info();
	assert_true(ci.dead);
	assert_int_equal(ci.device_resets, 1);
	assert_true(host_glue_log_contains("dead"));
	/* Every later caller gets an error at once. */
	struct vscsi_cmd c2;
	uint8_t b2[512];
	read_cmd(&c2, &sg, cdb, b2, 50);
	assert_int_equal(vscsi_submit(ctrl, 0, 0, &c2, 0), -VSCSI_ENODEV);
	assert_int_equal(vscsi_exec(ctrl, 0, 0, &c2, VSCSI_EXEC_QUIET), -VSCSI_ENODEV);
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b2), -VSCSI_ENODEV);
	assert_true(vs_adapter_is_dead(ctrl->adapter));
	/* Removal keeps what the device may still write. */
	uint64_t rings[24];
	unsigned n = ring_addresses(rings, 24);
	assert_true(n >= 9);
	tear_down();
	for (unsigned i = 0; i < n; i++)
		assert_true(host_glue_dma_live(rings[i]));
}

/* The same stuck command, but the device comes back before the
 * controller is removed: the reset at removal succeeds and must not
 * complete the command the caller already got back (and freed). */
static void test_stuck_reset_then_remove_no_stale_completion(void **state)
{
	(void)state;
	up_with_one_disk();
	model.hold_reads = true;
	model.ignore_abort = model.ignore_lun_reset = model.ignore_nexus_reset = true;
	model.sim.reset_stuck = true;
	struct vscsi_cmd *cmd = malloc(sizeof(*cmd));
	struct vscsi_sg sg;
	uint8_t cdb[16];
	uint8_t *buf = malloc(512);
	read_cmd(cmd, &sg, cdb, buf, 50);
	assert_true(vscsi_exec(ctrl, 0, 0, cmd, VSCSI_EXEC_QUIET) < 0);
	free(cmd);
	free(buf);
	model.sim.reset_stuck = false;
	tear_down(); /* AddressSanitizer: no write into the freed command */
}

/* vscsi_remove on a device that cannot be reset: the rings stay
 * allocated (the device may still write them), DMA is stopped, and the
 * failure is logged (the result of the reset is not ignored). */
static void test_remove_with_stuck_reset_keeps_rings(void **state)
{
	(void)state;
	up_with_one_disk();
	uint64_t rings[24];
	unsigned n = ring_addresses(rings, 24);
	assert_true(n >= 9);
	model.sim.reset_stuck = true;
	host_glue_log_reset();
	tear_down();
	for (unsigned i = 0; i < n; i++)
		assert_true(host_glue_dma_live(rings[i]));
	assert_true(host_glue_log_contains("did not complete its reset"));
}

/* After a reset the configuration cannot be read (the generation never
 * settles): the reset fails and says so instead of running on stale
 * values; an outstanding command completes with an error. */
static void test_config_unreadable_after_reset(void **state)
{
	(void)state;
	long before = host_glue_live_allocs();
	up_with_one_disk();
	model.hold_reads = true;
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[16], b[512];
	read_cmd(&cmd, &sg, cdb, b, 0);
	cmd.done = on_done;
	async_done = 0;
	assert_int_equal(vscsi_submit(ctrl, 0, 0, &cmd, 0), 0);
	model.sim.gen_bump_reads = 1000000;
	assert_true(vscsi_ctrl_reset(ctrl) < 0);
	assert_int_equal(async_done, 1);
	assert_true(async_result < 0);
	assert_true(info().dead);
	assert_true(host_glue_log_contains("config"));
	model.sim.gen_bump_reads = 0;
	tear_down(); /* the reset had completed: everything is freed */
	assert_int_equal(host_glue_live_allocs(), before);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeout_ladder),
		cmocka_unit_test(test_timeout_escalation),
		cmocka_unit_test(test_device_reset_reclaims),
		cmocka_unit_test(test_ladder_abort_unanswered),
		cmocka_unit_test(test_ladder_nexus_reset),
		cmocka_unit_test(test_ladder_device_reset_tmfs_ignored),
		cmocka_unit_test(test_ladder_device_reset_tmfs_unanswered),
		cmocka_unit_test(test_async_deadline_own_timeout),
		cmocka_unit_test(test_async_deadline_default),
		cmocka_unit_test(test_stuck_reset_no_use_after_free),
		cmocka_unit_test(test_stuck_reset_then_remove_no_stale_completion),
		cmocka_unit_test(test_remove_with_stuck_reset_keeps_rings),
		cmocka_unit_test(test_config_unreadable_after_reset),
	};
	return vs_run_tests(tests, argc, argv);
}
