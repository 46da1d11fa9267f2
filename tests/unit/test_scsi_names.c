/*
 * test_scsi_names.c - names: sense keys, ASC/ASCQ texts, status codes and
 * device types (drv/scsi/names.c), and Linux-style disk names
 * (drv/scsi/lun.c).
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

static void test_asc_texts(void **state)
{
	(void)state;
	/* The additional sense codes QEMU's scsi-hd and scsi-cd report (for the
	 * commands they emulate, unit attentions, events) have a text; 04/7e is
	 * one only the "any qualifier" entry of ASC 04h covers. */
	static const uint8_t codes[][2] = {
		{ 0x29, 0x00 }, { 0x3f, 0x0e }, { 0x2a, 0x09 }, { 0x3a, 0x00 }, { 0x28, 0x00 },
		{ 0x21, 0x00 }, { 0x24, 0x00 }, { 0x25, 0x00 }, { 0x20, 0x00 }, { 0x27, 0x00 },
		{ 0x00, 0x06 }, { 0x11, 0x00 }, { 0x1a, 0x00 }, { 0x04, 0x01 }, { 0x04, 0x02 },
		{ 0x04, 0x03 }, { 0x04, 0x7e }, { 0x53, 0x02 }, { 0x39, 0x00 }, { 0x26, 0x00 },
	};
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_non_null(scsi_asc_text(codes[i][0], codes[i][1]));
	assert_string_equal(scsi_asc_text(0x3a, 0), "medium not present");
	assert_string_equal(scsi_asc_text(0x2a, 0x09), "capacity data has changed");
	assert_null(scsi_asc_text(0x7e, 0x7e));
	assert_string_equal(scsi_sense_key_name(6), "UNIT ATTENTION");
	assert_string_equal(scsi_sense_key_name(0x0b), "ABORTED COMMAND");
	assert_string_equal(scsi_status_name(0x28), "TASK SET FULL");
	assert_string_equal(scsi_type_name(5), "cd/dvd");
}

static void test_disk_names(void **state)
{
	(void)state;
	char n[12];
	vs_disk_name(0, n, sizeof(n));
	assert_string_equal(n, "sda");
	vs_disk_name(25, n, sizeof(n));
	assert_string_equal(n, "sdz");
	vs_disk_name(26, n, sizeof(n));
	assert_string_equal(n, "sdaa");
	vs_disk_name(27, n, sizeof(n));
	assert_string_equal(n, "sdab");
	vs_disk_name(701, n, sizeof(n));
	assert_string_equal(n, "sdzz");
	vs_disk_name(702, n, sizeof(n));
	assert_string_equal(n, "sdaaa");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asc_texts),
		cmocka_unit_test(test_disk_names),
	};
	return vs_run_tests(tests, argc, argv);
}
