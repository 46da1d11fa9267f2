/*
 * test_scsi_parse.c - drv/scsi/parse.c, every parser of data a SCSI device
 * returns: REPORT LUNS (SPC-4 §6.33), sense data in both formats (SPC-4
 * §4.5), standard INQUIRY and the VPD pages, READ CAPACITY (16); and all
 * of them (with the adapter's response decoding) fed random data.
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
#include "virtio_scsi/internal.h"

static void put_entry(uint8_t *e, uint8_t b0, uint8_t b1)
{
	memset(e, 0, 8);
	e[0] = b0;
	e[1] = b1;
}

static void test_report_luns_parse(void **state)
{
	(void)state;
	uint8_t buf[8 + 8 * 5];
	memset(buf, 0, sizeof(buf));
	vs_put_be32(buf, 5 * 8);
	put_entry(buf + 8, 0x00, 0);      /* LUN 0 (QEMU always lists it) */
	put_entry(buf + 16, 0x00, 1);
	put_entry(buf + 24, 0x41, 0x2c);  /* flat 300 */
	put_entry(buf + 32, 0x00, 1);     /* duplicate */
	put_entry(buf + 40, 0x00, 9);
	buf[40 + 2] = 0x12;               /* second level: not addressable */
	uint16_t luns[16];
	uint32_t listed;
	int n = scsi_report_luns_parse(buf, sizeof(buf), luns, 16, &listed);
	assert_int_equal(n, 3);
	assert_int_equal(listed, 5);
	assert_int_equal(luns[0], 0);
	assert_int_equal(luns[1], 1);
	assert_int_equal(luns[2], 300);
}

static void test_report_luns_truncated(void **state)
{
	(void)state;
	/* The header announces 10 entries; only 2 fit the allocation length. */
	uint8_t buf[8 + 16];
	memset(buf, 0, sizeof(buf));
	vs_put_be32(buf, 10 * 8);
	put_entry(buf + 8, 0, 0);
	put_entry(buf + 16, 0, 4);
	uint16_t luns[16];
	uint32_t listed;
	assert_int_equal(scsi_report_luns_parse(buf, sizeof(buf), luns, 16, &listed), 2);
	assert_int_equal(listed, 10);
	assert_int_equal(luns[1], 4);
	/* A partial entry at the end is ignored. */
	assert_int_equal(scsi_report_luns_parse(buf, sizeof(buf) - 3, luns, 16, &listed), 1);
	/* Bytes past the announced list are not entries. */
	vs_put_be32(buf, 8);
	assert_int_equal(scsi_report_luns_parse(buf, sizeof(buf), luns, 16, &listed), 1);
	assert_int_equal(listed, 1);
	/* Too short for a header, or no buffer. */
	assert_int_equal(scsi_report_luns_parse(buf, 7, luns, 16, &listed), -VSCSI_EINVAL);
	assert_int_equal(scsi_report_luns_parse(NULL, 64, luns, 16, &listed), -VSCSI_EINVAL);
	/* `max` bounds what is stored, not what is counted. */
	vs_put_be32(buf, 16);
	assert_int_equal(scsi_report_luns_parse(buf, sizeof(buf), luns, 1, &listed), 1);
	assert_int_equal(listed, 2);
}

/* --- sense --------------------------------------------------------------------- */

static void fixed_sense(uint8_t *b, uint8_t key, uint8_t asc, uint8_t ascq)
{
	memset(b, 0, 18);
	b[0] = 0x70;
	b[2] = key;
	b[7] = 10;
	b[12] = asc;
	b[13] = ascq;
}

static void test_sense_fixed(void **state)
{
	(void)state;
	uint8_t b[18];
	struct scsi_sense s;
	fixed_sense(b, 6, 0x29, 0);
	assert_int_equal(scsi_sense_decode(b, 18, &s), 0);
	assert_true(s.valid);
	assert_false(s.descriptor);
	assert_int_equal(s.key, SCSI_SK_UNIT_ATTENTION);
	assert_int_equal(s.asc, 0x29);
	assert_int_equal(s.ascq, 0);
	char text[128];
	scsi_sense_format(&s, text, sizeof(text));
	assert_non_null(strstr(text, "UNIT ATTENTION 29/00"));
	assert_non_null(strstr(text, "power on"));

	/* Deferred, INFORMATION valid, ILI. */
	fixed_sense(b, 3 | 0x20, 0x11, 0);
	b[0] = 0x80 | 0x71;
	vs_put_be32(b + 3, 0x1234);
	assert_int_equal(scsi_sense_decode(b, 18, &s), 0);
	assert_true(s.deferred);
	assert_true(s.info_valid);
	assert_int_equal(s.info, 0x1234);
	assert_true(s.ili);
	assert_int_equal(s.key, SCSI_SK_MEDIUM_ERROR);

	/* ASC beyond the bytes received or beyond ADDITIONAL SENSE LENGTH. */
	fixed_sense(b, 5, 0x24, 0);
	assert_int_equal(scsi_sense_decode(b, 8, &s), 0);
	assert_int_equal(s.key, 5);
	assert_int_equal(s.asc, 0);
	b[7] = 4; /* ends at byte 12 */
	assert_int_equal(scsi_sense_decode(b, 18, &s), 0);
	assert_int_equal(s.asc, 0);
	b[7] = 5;
	assert_int_equal(scsi_sense_decode(b, 18, &s), 0);
	assert_int_equal(s.asc, 0x24);
	assert_int_equal(s.ascq, 0);

	/* Not sense at all. */
	b[0] = 0x00;
	assert_int_equal(scsi_sense_decode(b, 18, &s), -VSCSI_EINVAL);
	assert_false(s.valid);
	assert_int_equal(scsi_sense_decode(b, 0, &s), -VSCSI_EINVAL);
	assert_int_equal(scsi_sense_decode(NULL, 18, &s), -VSCSI_EINVAL);
	b[0] = 0x70;
	assert_int_equal(scsi_sense_decode(b, 2, &s), -VSCSI_EINVAL);
}

static void test_sense_descriptor(void **state)
{
	(void)state;
	uint8_t b[8 + 12 + 4];
	memset(b, 0, sizeof(b));
	b[0] = 0x72;
	b[1] = 0x05;
	b[2] = 0x21;
	b[3] = 0x00;
	b[7] = 12 + 4;
	b[8] = 0x00;  /* information descriptor */
	b[9] = 0x0a;
	b[10] = 0x80;
	vs_put_be64(b + 12, 0x123456789aull);
	b[20] = 0x04; /* stream commands */
	b[21] = 2;
	b[23] = 0x20; /* ILI */
	struct scsi_sense s;
	assert_int_equal(scsi_sense_decode(b, sizeof(b), &s), 0);
	assert_true(s.descriptor);
	assert_int_equal(s.key, SCSI_SK_ILLEGAL_REQUEST);
	assert_int_equal(s.asc, 0x21);
	assert_true(s.info_valid);
	assert_int_equal(s.info, 0x123456789aull);
	assert_true(s.ili);
	/* A descriptor running past the end is not read. */
	b[9] = 0x40;
	assert_int_equal(scsi_sense_decode(b, sizeof(b), &s), 0);
	assert_false(s.info_valid);
	/* Deferred descriptor format, header only. */
	b[0] = 0x73;
	assert_int_equal(scsi_sense_decode(b, 4, &s), 0);
	assert_true(s.deferred);
	assert_int_equal(s.asc, 0x21);
	assert_int_equal(scsi_sense_decode(b, 3, &s), -VSCSI_EINVAL);
}

/* --- VPD, capacity, names ----------------------------------------------------------- */

static void test_vpd_parsing(void **state)
{
	(void)state;
	struct vscsi_lun_info info;
	memset(&info, 0, sizeof(info));

	uint8_t inq[36] = { 0x05, 0x80, 0x05, 0x12, 31 };
	memcpy(inq + 8, "QEMU    QEMU CD-ROM     2.5+", 28);
	vs_parse_inquiry(inq, sizeof(inq), &info);
	assert_int_equal(info.type, 5);
	assert_true(info.removable);
	assert_string_equal(info.vendor, "QEMU");
	assert_string_equal(info.model, "QEMU CD-ROM");
	assert_string_equal(info.rev, "2.5+");

	uint8_t v80[] = { 0, 0x80, 0, 6, ' ', 'S', 'E', 'R', '0', ' ' };
	vs_parse_vpd_80(v80, sizeof(v80), &info);
	assert_string_equal(info.serial, "SER0");
	v80[3] = 200; /* longer than received: bounded by `got` */
	vs_parse_vpd_80(v80, sizeof(v80), &info);
	assert_string_equal(info.serial, "SER0");

	uint8_t v83[4 + 4 + 8 + 4 + 4];
	memset(v83, 0, sizeof(v83));
	v83[1] = 0x83;
	v83[3] = sizeof(v83) - 4;
	v83[4] = 0x01; /* binary */
	v83[5] = 0x03; /* NAA, LUN */
	v83[7] = 8;
	const uint8_t naa[8] = { 0x50, 0x00, 0xc5, 0x00, 0x12, 0x34, 0x56, 0x78 };
	memcpy(v83 + 8, naa, 8);
	v83[16] = 0x02; /* ASCII */
	v83[17] = 0x01; /* T10 vendor id */
	v83[19] = 4;
	memcpy(v83 + 20, "QEMU", 4);
	vs_parse_vpd_83(v83, sizeof(v83), &info);
	assert_int_equal(info.n_desig, 2);
	assert_int_equal(info.desig[0].type, 3);
	assert_int_equal(info.desig[1].type, 1);
	assert_memory_equal(info.desig[1].id, "QEMU", 4);
	assert_string_equal(info.wwn, "0x5000c50012345678");
	v83[19] = 60; /* runs past the page: stops there */
	vs_parse_vpd_83(v83, sizeof(v83), &info);
	assert_int_equal(info.n_desig, 1);

	uint8_t b0[64];
	memset(b0, 0, sizeof(b0));
	b0[1] = 0xb0;
	b0[3] = 0x3c;
	vs_put_be32(b0 + 8, 4194303);
	vs_put_be32(b0 + 12, 128);
	vs_put_be32(b0 + 20, 2097152);
	vs_put_be32(b0 + 24, 255);
	vs_put_be32(b0 + 28, 8);
	vs_put_be64(b0 + 36, 4194303);
	vs_parse_vpd_b0(b0, sizeof(b0), &info);
	assert_int_equal(info.opt_transfer_blocks, 128);
	assert_int_equal(info.max_unmap_blocks, 2097152);
	assert_int_equal(info.max_unmap_descriptors, 255);
	assert_int_equal(info.unmap_granularity, 8);
	assert_true(info.max_write_same_blocks == 4194303);

	uint8_t b2[8] = { 0, 0xb2, 0, 4, 0, 0xe0, 0, 0 };
	vs_parse_vpd_b2(b2, sizeof(b2), &info);
	assert_true(info.unmap_supported);
	assert_true(info.ws16_unmap);

	uint8_t rc[32];
	memset(rc, 0, sizeof(rc));
	vs_put_be64(rc, 0x1ffffffffull);
	vs_put_be32(rc + 8, 4096);
	rc[13] = 0;
	rc[14] = 0x80;
	vs_parse_capacity16(rc, sizeof(rc), &info);
	assert_true(info.blocks == 0x200000000ull);
	assert_int_equal(info.block_size, 4096);
	assert_int_equal(info.phys_block_size, 4096);
	assert_true(info.lbpme);
	rc[13] = 3;
	vs_parse_capacity16(rc, sizeof(rc), &info);
	assert_int_equal(info.phys_block_size, 32768);
}

/* Device-written data of any shape: the parsers stay in bounds (ASan
 * watches) and never loop.  Buffers are exactly `n` bytes on the heap. */
static void test_parsers_random_input(void **state)
{
	(void)state;
	uint32_t x = 12345;
	for (unsigned iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(iter % 300);
		uint8_t *b = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			b[i] = (uint8_t)(x >> 16);
		}
		if (n > 0 && iter % 3 == 0)
			b[0] = (uint8_t)(0x70 + iter % 4); /* sense formats */
		struct scsi_sense s;
		scsi_sense_decode(b, n, &s);
		uint16_t luns[64];
		uint32_t listed;
		scsi_report_luns_parse(b, n, luns, 64, &listed);
		struct vscsi_lun_info info;
		memset(&info, 0, sizeof(info));
		vs_parse_inquiry(b, (uint32_t)n, &info);
		vs_parse_vpd_80(b, (uint32_t)n, &info);
		vs_parse_vpd_83(b, (uint32_t)n, &info);
		vs_parse_vpd_b0(b, (uint32_t)n, &info);
		vs_parse_vpd_b2(b, (uint32_t)n, &info);
		vs_parse_capacity16(b, (uint32_t)n, &info);
		vs_parse_mode(b, (uint32_t)n, false, &info);
		vs_parse_mode(b, (uint32_t)n, true, &info);
		assert_true(info.n_desig <= VSCSI_MAX_DESIGNATORS);
		assert_true(strlen(info.serial) < sizeof(info.serial));
		if (n >= 108) {
			uint8_t sense[20];
			struct vscsi_cmd cmd;
			memset(&cmd, 0, sizeof(cmd));
			cmd.sense = sense;
			cmd.sense_cap = sizeof(sense);
			vs_decode_response(b, 96, 4096, &cmd);
			assert_true(cmd.sense_len <= sizeof(sense));
			assert_true(cmd.resid <= 4096);
		}
		free(b);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_luns_parse),
		cmocka_unit_test(test_report_luns_truncated),
		cmocka_unit_test(test_sense_fixed),
		cmocka_unit_test(test_sense_descriptor),
		cmocka_unit_test(test_vpd_parsing),
		cmocka_unit_test(test_parsers_random_input),
	};
	return vs_run_tests(tests, argc, argv);
}
