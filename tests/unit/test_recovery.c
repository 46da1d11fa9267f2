/*
 * test_recovery.c - commands that do not come back (drv/scsi/error.c) and
 * device resets (drv/virtio_scsi/adapter.c), against the SCSI target
 * model holding READs: ABORT TASK with the command's own tag, LOGICAL UNIT
 * RESET when the abort does nothing, a device reset when that does
 * nothing either; a reset reclaims what the device held and the event
 * buffers are posted again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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

/* Abort does nothing: LUN reset; that does nothing either: device reset.
 * Each step waits its grace period (2 s), so this test takes ~4 s. */
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

	/* 2. Both ignored: the device reset reclaims the buffers. */
	model.ignore_lun_reset = true;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeout_ladder),
		cmocka_unit_test(test_timeout_escalation),
		cmocka_unit_test(test_device_reset_reclaims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
