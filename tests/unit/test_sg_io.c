/*
 * test_sg_io.c - SCSI pass-through (drv/blk/sg_io.c) and its command
 * filter (drv/blk/filter.c): the filter's decisions for reads, writes and
 * administrator entries; then SG_IO against the SCSI target model (results
 * as Linux reports them, refusals that never reach the device, header
 * validation) and the list of a device's filter entries.
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

/* --- the filter's decisions (pure) ------------------------------------------- */

/* --- filter ------------------------------------------------------------------------ */

static int chk(const struct vs_filter *f, uint8_t type, uint8_t op, uint8_t b1, bool wr)
{
	uint8_t cdb[16] = { op, b1 };
	return vs_filter_check(f, type, cdb, scsi_cdb_length(op) ? scsi_cdb_length(op) : 16, wr);
}

static void test_filter_default(void **state)
{
	(void)state;
	struct vs_filter f;
	memset(&f, 0, sizeof(f));
	/* reads and information: always */
	assert_int_equal(chk(&f, 0, SCSI_INQUIRY, 0, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_READ_10, 0, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_READ_16, 0, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_TEST_UNIT_READY, 0, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_REPORT_LUNS, 0, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_MODE_SENSE_10, 0, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_SERVICE_ACTION_IN_16, 0x10, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_SERVICE_ACTION_IN_16, 0x11, false), -VSCSI_EPERM);
	assert_int_equal(chk(&f, 5, SCSI_READ_TOC, 0, false), 0);
	assert_int_equal(chk(&f, 5, SCSI_GET_EVENT_STATUS_NOTIFICATION, 1, false), 0);
	/* writes: only when opened for writing */
	assert_int_equal(chk(&f, 0, SCSI_WRITE_10, 0, false), -VSCSI_EPERM);
	assert_int_equal(chk(&f, 0, SCSI_WRITE_10, 0, true), 0);
	assert_int_equal(chk(&f, 0, SCSI_SYNCHRONIZE_CACHE_10, 0, false), -VSCSI_EPERM);
	assert_int_equal(chk(&f, 0, SCSI_SYNCHRONIZE_CACHE_10, 0, true), 0);
	assert_int_equal(chk(&f, 0, SCSI_WRITE_SAME_16, 0, true), 0);
	assert_int_equal(chk(&f, 0, SCSI_UNMAP, 0, false), -VSCSI_EPERM);
	assert_int_equal(chk(&f, 0, SCSI_UNMAP, 0, true), 0);
	/* 42h is READ SUB-CHANNEL on a CD: a read there. */
	assert_int_equal(chk(&f, 5, 0x42, 0, false), 0);
	/* never by default */
	assert_int_equal(chk(&f, 0, SCSI_PERSISTENT_RESERVE_OUT, 1, true), -VSCSI_EPERM);
	assert_int_equal(chk(&f, 0, SCSI_FORMAT_UNIT, 0, true), -VSCSI_EPERM);
	assert_int_equal(chk(&f, 0, SCSI_WRITE_BUFFER, 0, true), -VSCSI_EPERM);
	assert_int_equal(chk(&f, 0, 0xc0, 0, true), -VSCSI_EPERM);
	assert_int_equal(vs_filter_check(&f, 0, NULL, 0, true), -VSCSI_EPERM);
}

static void test_filter_admin(void **state)
{
	(void)state;
	struct vs_filter f;
	memset(&f, 0, sizeof(f));
	/* allow PERSISTENT RESERVE OUT / REGISTER only */
	f.rule[f.n++] = (struct vs_filter_rule){ 0x5f, true, 0x01, true };
	assert_int_equal(chk(&f, 0, 0x5f, 0x01, false), 0);
	assert_int_equal(chk(&f, 0, 0x5f, 0x02, false), -VSCSI_EPERM);
	/* deny INQUIRY: deny beats the built-in read set */
	f.rule[f.n++] = (struct vs_filter_rule){ SCSI_INQUIRY, false, 0, false };
	assert_int_equal(chk(&f, 0, SCSI_INQUIRY, 0, false), -VSCSI_EPERM);
	/* deny beats allow on the same opcode */
	f.rule[f.n++] = (struct vs_filter_rule){ 0x5f, false, 0, false };
	assert_int_equal(chk(&f, 0, 0x5f, 0x01, false), -VSCSI_EPERM);
	/* UNFILTERED: anything not denied */
	f.policy = VSCSI_SG_UNFILTERED;
	assert_int_equal(chk(&f, 0, 0xc0, 0, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_WRITE_10, 0, false), 0);
	assert_int_equal(chk(&f, 0, SCSI_INQUIRY, 0, false), -VSCSI_EPERM);
	/* service actions */
	uint8_t var[32] = { 0x7f };
	vs_put_be16(var + 8, 0x1234);
	assert_int_equal(vs_cdb_service_action(var, 32), 0x1234);
	uint8_t pr[10] = { 0x5f, 0x21 };
	assert_int_equal(vs_cdb_service_action(pr, 10), 0x01);
	uint8_t rd[10] = { 0x28, 0x08 };
	assert_int_equal(vs_cdb_service_action(rd, 10), -1);
}

/* --- SG_IO and the per-device filter, against the SCSI target model ---------------- */

static void test_sg_io(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	uint8_t cdb[16], data[512], sense[32];
	struct sg_io_hdr h;
	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	h.cmd_len = (unsigned char)scsi_cdb_inquiry(cdb, false, 0, 96);
	h.cmdp = cdb;
	h.dxferp = data;
	h.dxfer_len = 96;
	h.sbp = sense;
	h.mx_sb_len = sizeof(sense);
	h.pack_id = 77;
	assert_int_equal(vscsi_sg_io(d, &h, false), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(h.info, SG_INFO_OK);
	assert_int_equal(h.resid, 96 - 36);
	assert_int_equal(h.pack_id, 77);
	assert_memory_equal(data + 8, "QEMU", 4);

	/* CHECK CONDITION comes back in the header, call returns 0. */
	h.cmd_len = (unsigned char)scsi_cdb_read10(cdb, 1000, 1, false);
	h.dxfer_len = 512;
	assert_int_equal(vscsi_sg_io(d, &h, false), 0);
	assert_int_equal(h.status, SCSI_STATUS_CHECK_CONDITION);
	assert_int_equal(h.masked_status, 1);
	assert_int_equal(h.driver_status, VSCSI_DRIVER_SENSE);
	assert_int_equal(h.sb_len_wr, 18);
	assert_int_equal(sense[12], 0x21);
	assert_int_equal(h.info, SG_INFO_CHECK);

	/* The filter: WRITE only when opened for writing. */
	unsigned before = model.cmds;
	host_glue_log_reset();
	h.dxfer_direction = SG_DXFER_TO_DEV;
	h.cmd_len = (unsigned char)scsi_cdb_write10(cdb, 0, 1, false);
	assert_int_equal(vscsi_sg_io(d, &h, false), -VSCSI_EPERM);
	assert_true(host_glue_log_contains("0x2a"));
	assert_int_equal(model.cmds, before);
	assert_int_equal(vscsi_sg_io(d, &h, true), 0);
	assert_int_equal(h.status, 0);
	/* PERSISTENT RESERVE OUT needs the administrator. */
	h.cmd_len = (unsigned char)scsi_cdb_pr_out(cdb, 1, 0, 24);
	h.dxfer_len = 24;
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_EPERM);
	assert_int_equal(vscsi_sg_filter_add(d, 0x5f, 0x01, true), 0);
	assert_int_equal(vscsi_sg_io(d, &h, true), 0); /* reaches the device: 05/20/00 */
	assert_int_equal(h.status, SCSI_STATUS_CHECK_CONDITION);
	assert_int_equal(sense[12], 0x20);
	/* Header validation. */
	h.interface_id = 'Z';
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_EINVAL);
	h.interface_id = 'S';
	h.cmd_len = 33;
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_EINVAL);
	h.cmd_len = 10;
	h.dxfer_direction = -7;
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_EINVAL);
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	h.dxfer_len = 1u << 30;
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_E2BIG);
	tear_down();
}

/* vscsi_sg_filter_list: the administrator entries in the order they were
 * added (the order the filter checks them), the count even when `max` is
 * smaller, and entries that agree with the filter's decisions. */
static void test_sg_filter_list(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	struct vscsi_sg_filter_entry e[4];
	memset(e, 0xa5, sizeof(e));
	assert_int_equal(vscsi_sg_filter_list(d, e, 4), 0);
	assert_int_equal(vscsi_sg_filter_list(d, NULL, 0), 0);
	assert_int_equal(vscsi_sg_filter_list(NULL, e, 4), -VSCSI_EINVAL);
	assert_int_equal(vscsi_sg_filter_list(d, NULL, 1), -VSCSI_EINVAL);

	assert_int_equal(vscsi_sg_filter_add(d, 0x5f, 0x01, true), 0);
	assert_int_equal(vscsi_sg_filter_add(d, SCSI_INQUIRY, VSCSI_SG_ANY_SA, false), 0);
	assert_int_equal(vscsi_sg_filter_add(d, 0x5f, VSCSI_SG_ANY_SA, false), 0);
	assert_int_equal(vscsi_sg_filter_list(d, e, 4), 3);
	assert_int_equal(e[0].opcode, 0x5f);
	assert_int_equal(e[0].service_action, 0x01);
	assert_true(e[0].allow);
	assert_int_equal(e[1].opcode, SCSI_INQUIRY);
	assert_int_equal(e[1].service_action, VSCSI_SG_ANY_SA);
	assert_false(e[1].allow);
	assert_int_equal(e[2].opcode, 0x5f);
	assert_int_equal(e[2].service_action, VSCSI_SG_ANY_SA);
	assert_false(e[2].allow);
	assert_int_equal(e[3].opcode, 0xa5); /* untouched beyond the count */

	/* Fewer slots than entries: the first ones, and the full count. */
	memset(e, 0, sizeof(e));
	assert_int_equal(vscsi_sg_filter_list(d, e, 1), 3);
	assert_int_equal(e[0].opcode, 0x5f);
	assert_int_equal(e[0].service_action, 0x01);
	assert_int_equal(e[1].opcode, 0);
	assert_int_equal(vscsi_sg_filter_list(d, NULL, 0), 3);

	/* What the list says is what the filter does: INQUIRY denied. */
	uint8_t cdb[16];
	unsigned len = scsi_cdb_inquiry(cdb, false, 0, 96);
	assert_int_equal(vscsi_sg_filter_check(d, cdb, len, false), -VSCSI_EPERM);
	/* ... and the verdict names the entry, not the policy. */
	assert_int_equal(vscsi_sg_filter_verdict(d, cdb, len, false), VSCSI_SG_DENIED_BY_ENTRY);
	/* REGISTER matches the allow entry and the deny-all-0x5f entry: deny wins. */
	uint8_t prout[10] = { 0x5f, 0x01 };
	assert_int_equal(vscsi_sg_filter_verdict(d, prout, 10, false), VSCSI_SG_DENIED_BY_ENTRY);
	uint8_t fmt[6] = { 0x04 }; /* FORMAT UNIT: no entry, the policy refuses */
	assert_int_equal(vscsi_sg_filter_verdict(d, fmt, 6, true), VSCSI_SG_DENIED_BY_POLICY);
	assert_int_equal(vscsi_sg_filter_verdict(NULL, fmt, 6, true), -VSCSI_EINVAL);

	vscsi_sg_filter_clear(d);
	assert_int_equal(vscsi_sg_filter_list(d, e, 4), 0);
	assert_int_equal(vscsi_sg_filter_check(d, cdb, len, false), 0);
	assert_int_equal(vscsi_sg_filter_verdict(d, cdb, len, false), VSCSI_SG_ALLOWED_BY_POLICY);
	assert_int_equal(vscsi_sg_filter_add(d, 0x5f, 0x01, true), 0);
	assert_int_equal(vscsi_sg_filter_verdict(d, prout, 10, false), VSCSI_SG_ALLOWED_BY_ENTRY);
	tear_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_default),
		cmocka_unit_test(test_filter_admin),
		cmocka_unit_test(test_sg_io),
		cmocka_unit_test(test_sg_filter_list),
	};
	return vs_run_tests(tests, argc, argv);
}
