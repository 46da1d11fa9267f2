/*
 * test_commands.c - SCSI commands through the public API (drv/scsi/exec.c)
 * against the SCSI target model: BUSY retried with backoff unless asked
 * not to, errors the device reports (write protection, OVERRUN, CHECK
 * CONDITION with its sense), and arguments refused before anything is
 * sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "support/runner.h"

#include "blk/internal.h"
#include "sim/scsi_target.h"
#include "support/host_glue.h"
#include "virtio_scsi/internal.h"

static void test_busy_retried(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	uint8_t b[512];
	model.busy_next = 3;
	assert_int_equal(vscsi_blk_read(d, 0, 1, b), 0);
	assert_int_equal(model.busy_next, 0);
	uint8_t cdb[16];
	unsigned n = scsi_cdb_test_unit_ready(cdb);
	model.busy_next = 2;
	assert_int_equal(vscsi_exec_simple(ctrl, 0, 0, cdb, n, VSCSI_DATA_NONE, NULL, 0, NULL, 0, NULL,
					   0),
			 0);
	model.busy_next = 2;
	assert_int_equal(vscsi_exec_simple(ctrl, 0, 0, cdb, n, VSCSI_DATA_NONE, NULL, 0, NULL, 0, NULL,
					   VSCSI_EXEC_NO_RETRY),
			 -VSCSI_EBUSY);
	model.busy_next = 0;
	tear_down();
}

static void test_write_protect_and_errors(void **state)
{
	(void)state;
	struct sim_lun *L = model_add_lun(0, 0, 0, 64, 512);
	L->wp = true;
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_true(vscsi_lun_info(d)->read_only);
	uint8_t b[512] = { 0 };
	unsigned before = model.writes;
	assert_int_equal(vscsi_blk_write(d, 0, 1, b, 0), -VSCSI_EROFS);
	assert_int_equal(model.writes, before);
	/* The device changes its mind: the refusal (07/27/00) is EROFS too. */
	L->wp = false;
	vscsi_lun_revalidate(d);
	assert_false(vscsi_lun_info(d)->read_only);
	L->wp = true;
	assert_int_equal(vscsi_blk_write(d, 0, 1, b, 0), -VSCSI_EROFS);
	/* Overrun: a CDB asking for more than the buffer. */
	uint8_t cdb[16], sense[32];
	unsigned n = scsi_cdb_read10(cdb, 0, 2, false);
	assert_int_equal(vscsi_exec_simple(ctrl, 0, 0, cdb, n, VSCSI_DATA_FROM_DEVICE, b, 512, sense,
					   sizeof(sense), NULL, VSCSI_EXEC_QUIET),
			 -VSCSI_EOVERFLOW);
	/* Out of range seen by the device: 05/21/00. */
	n = scsi_cdb_read10(cdb, 64, 1, false);
	struct vscsi_cmd cmd;
	struct vscsi_sg sg = { b, 512 };
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_FROM_DEVICE;
	cmd.sg = &sg;
	cmd.sg_count = 1;
	cmd.sense = sense;
	cmd.sense_cap = sizeof(sense);
	assert_int_equal(vscsi_lun_exec(d, &cmd, VSCSI_EXEC_QUIET), -VSCSI_EIO);
	assert_int_equal(cmd.status, SCSI_STATUS_CHECK_CONDITION);
	struct scsi_sense s;
	assert_int_equal(scsi_sense_decode(sense, cmd.sense_len, &s), 0);
	assert_int_equal(s.key, 5);
	assert_int_equal(s.asc, 0x21);
	/* Bad arguments never reach the device. */
	before = model.cmds;
	cmd.cdb_len = 33;
	assert_int_equal(vscsi_lun_submit(d, &cmd, 0), -VSCSI_EINVAL);
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_NONE;
	assert_int_equal(vscsi_lun_submit(d, &cmd, 0), -VSCSI_EINVAL);
	assert_int_equal(vscsi_submit(ctrl, 256, 0, &cmd, 0), -VSCSI_EINVAL);
	assert_int_equal(model.cmds, before);
	tear_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_retried),
		cmocka_unit_test(test_write_protect_and_errors),
	};
	return vs_run_tests(tests, argc, argv);
}
