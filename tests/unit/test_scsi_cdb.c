/*
 * test_scsi_cdb.c - drv/scsi/cdb.c: the choice between READ/WRITE (10) and
 * (16), every builder's bytes, the UNMAP parameter list, CDB lengths by
 * group code (SPC-4 §4.2.5.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "support/runner.h"

#include "scsi/internal.h"

/* --- CDBs ------------------------------------------------------------------------ */

static void test_cdb_rw_choice(void **state)
{
	(void)state;
	uint8_t c[16];
	assert_int_equal(scsi_cdb_rw(c, false, 0, 8, false), 10);
	assert_int_equal(c[0], SCSI_READ_10);
	assert_int_equal(vs_be32(c + 2), 0);
	assert_int_equal(vs_be16(c + 7), 8);
	assert_int_equal(c[1], 0);
	assert_int_equal(scsi_cdb_rw(c, true, 100, 0xffff, true), 10);
	assert_int_equal(c[0], SCSI_WRITE_10);
	assert_int_equal(c[1], 0x08);
	assert_int_equal(scsi_cdb_rw(c, false, 0, 0x10000, false), 16);
	assert_int_equal(c[0], SCSI_READ_16);
	assert_int_equal(vs_be32(c + 10), 0x10000);
	assert_int_equal(scsi_cdb_rw(c, false, 0xfffffffeull, 1, false), 10);
	assert_int_equal(scsi_cdb_rw(c, false, 0xffffffffull, 1, false), 16);
	assert_int_equal(scsi_cdb_rw(c, true, 0x123456789ull, 1, true), 16);
	assert_int_equal(c[0], SCSI_WRITE_16);
	assert_int_equal(c[1], 0x08);
	assert_true(vs_be64(c + 2) == 0x123456789ull);
	assert_int_equal(scsi_cdb_rw(c, false, 0, 0, false), 0);
	assert_true(scsi_rw_needs_16(0xfffffff0ull, 0x10));
	assert_false(scsi_rw_needs_16(0xfffffff0ull, 0xf));
}

static void test_cdb_builders(void **state)
{
	(void)state;
	uint8_t c[16];
	assert_int_equal(scsi_cdb_inquiry(c, true, 0x83, 255), 6);
	const uint8_t inq[6] = { 0x12, 1, 0x83, 0, 255, 0 };
	assert_memory_equal(c, inq, 6);
	assert_int_equal(scsi_cdb_inquiry(c, false, 0x83, 36), 6);
	assert_int_equal(c[2], 0); /* page code only with EVPD */
	assert_int_equal(scsi_cdb_report_luns(c, 0, 0x10008), 12);
	assert_int_equal(c[0], 0xa0);
	assert_int_equal(vs_be32(c + 6), 0x10008);
	assert_int_equal(scsi_cdb_read_capacity16(c, 32), 16);
	assert_int_equal(c[0], 0x9e);
	assert_int_equal(c[1], 0x10);
	assert_int_equal(vs_be32(c + 10), 32);
	assert_int_equal(scsi_cdb_sync_cache10(c, 0, 0), 10);
	assert_int_equal(c[0], 0x35);
	assert_int_equal(scsi_cdb_write_same16(c, 5, 7, true), 16);
	assert_int_equal(c[1], 0x08);
	assert_int_equal(vs_be32(c + 10), 7);
	assert_int_equal(scsi_cdb_start_stop_unit(c, false, true, false), 6);
	assert_int_equal(c[4], 0x02);
	assert_int_equal(scsi_cdb_mode_sense6(c, true, 0, 0x3f, 0, 192), 6);
	assert_int_equal(c[1], 0x08);
	assert_int_equal(c[2], 0x3f);
	assert_int_equal(c[4], 192);
	assert_int_equal(scsi_cdb_get_event_status(c, 0x10, 8), 10);
	assert_int_equal(c[1], 1);
	assert_int_equal(scsi_cdb_pr_out(c, 1, 0, 24), 10);
	assert_int_equal(c[0], 0x5f);
	assert_int_equal(c[1], 1);
	assert_int_equal(vs_be32(c + 5), 24);

	uint8_t p[24];
	struct scsi_unmap_range r = { 0x1000, 64 };
	assert_int_equal(scsi_unmap_params(p, sizeof(p), &r, 1), 24);
	assert_int_equal(vs_be16(p), 22);
	assert_int_equal(vs_be16(p + 2), 16);
	assert_true(vs_be64(p + 8) == 0x1000);
	assert_int_equal(vs_be32(p + 16), 64);
	assert_int_equal(scsi_unmap_params(p, 23, &r, 1), 0);

	assert_int_equal(scsi_cdb_length(0x00), 6);
	assert_int_equal(scsi_cdb_length(0x28), 10);
	assert_int_equal(scsi_cdb_length(0x5f), 10);
	assert_int_equal(scsi_cdb_length(0x88), 16);
	assert_int_equal(scsi_cdb_length(0xa0), 12);
	assert_int_equal(scsi_cdb_length(0x7f), 0);
	assert_int_equal(scsi_cdb_length(0xc0), 0);
	assert_string_equal(scsi_opcode_name(0x28), "READ(10)");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cdb_rw_choice),
		cmocka_unit_test(test_cdb_builders),
	};
	return vs_run_tests(tests, argc, argv);
}
