/*
 * test_scsi_proto.c - the pure parts of drv/scsi: wire layouts, LUN
 * encoding and REPORT LUNS parsing, sense decoding, response-code mapping
 * and response decoding (clamping of device-written lengths), CDB
 * builders, VPD / capacity parsing and disk names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scsi/internal.h"

/* --- wire ------------------------------------------------------------------ */

static void test_wire_layouts(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct virtio_scsi_cmd_req), 51);
	assert_int_equal(sizeof(struct virtio_scsi_cmd_resp), 108);
	assert_int_equal(sizeof(struct virtio_scsi_ctrl_tmf_req), 24);
	assert_int_equal(sizeof(struct virtio_scsi_ctrl_tmf_resp), 1);
	assert_int_equal(sizeof(struct virtio_scsi_ctrl_an_req), 16);
	assert_int_equal(sizeof(struct virtio_scsi_ctrl_an_resp), 5);
	assert_int_equal(sizeof(struct virtio_scsi_event), 16);
	assert_int_equal(sizeof(struct virtio_scsi_config), 36);
	assert_int_equal(offsetof(struct virtio_scsi_cmd_req, id), 8);
	assert_int_equal(offsetof(struct virtio_scsi_cmd_req, task_attr), 16);
	assert_int_equal(offsetof(struct virtio_scsi_cmd_req, cdb), 19);
	assert_int_equal(offsetof(struct virtio_scsi_cmd_resp, residual), 4);
	assert_int_equal(offsetof(struct virtio_scsi_cmd_resp, status_qualifier), 8);
	assert_int_equal(offsetof(struct virtio_scsi_cmd_resp, status), 10);
	assert_int_equal(offsetof(struct virtio_scsi_cmd_resp, response), 11);
	assert_int_equal(offsetof(struct virtio_scsi_cmd_resp, sense), 12);
	assert_int_equal(offsetof(struct virtio_scsi_ctrl_tmf_req, lun), 8);
	assert_int_equal(offsetof(struct virtio_scsi_ctrl_tmf_req, id), 16);
	assert_int_equal(offsetof(struct virtio_scsi_ctrl_an_req, event_requested), 12);
	assert_int_equal(offsetof(struct virtio_scsi_event, reason), 12);
	assert_int_equal(VS_CFG_OFF(sense_size), 0x14);
	assert_int_equal(VS_CFG_OFF(cdb_size), 0x18);
	assert_int_equal(VS_CFG_OFF(max_channel), 0x1c);
	assert_int_equal(VS_CFG_OFF(max_target), 0x1e);
	assert_int_equal(VS_CFG_OFF(max_lun), 0x20);
}

/* --- LUNs --------------------------------------------------------------------- */

static void test_lun_encode(void **state)
{
	(void)state;
	uint8_t l[8];
	vs_lun_encode(l, 0, 0);
	const uint8_t a[8] = { 1, 0, 0x40, 0, 0, 0, 0, 0 };
	assert_memory_equal(l, a, 8);
	vs_lun_encode(l, 255, 16383);
	const uint8_t b[8] = { 1, 255, 0x7f, 0xff, 0, 0, 0, 0 };
	assert_memory_equal(l, b, 8);
	vs_lun_encode(l, 3, 300);
	const uint8_t c[8] = { 1, 3, 0x41, 0x2c, 0, 0, 0, 0 };
	assert_memory_equal(l, c, 8);
}

static void test_lun_decode(void **state)
{
	(void)state;
	unsigned t, l;
	const uint8_t periph[8] = { 1, 5, 0x00, 7, 0, 0, 0, 0 };
	assert_int_equal(vs_lun_decode(periph, &t, &l), 0);
	assert_int_equal(t, 5);
	assert_int_equal(l, 7);
	const uint8_t flat[8] = { 1, 2, 0x41, 0x2c, 0, 0, 0, 0 };
	assert_int_equal(vs_lun_decode(flat, &t, &l), 0);
	assert_int_equal(t, 2);
	assert_int_equal(l, 300); /* & 0x3fff, not 0x412c (nanos #1628) */
	const uint8_t top[8] = { 1, 255, 0x7f, 0xff, 0, 0, 0, 0 };
	assert_int_equal(vs_lun_decode(top, &t, &l), 0);
	assert_int_equal(t, 255);
	assert_int_equal(l, 16383);
	const uint8_t missed[8] = { 0 }; /* EVENTS_MISSED carries a zero LUN */
	assert_int_equal(vs_lun_decode(missed, &t, &l), -VSCSI_EINVAL);
	const uint8_t bus[8] = { 1, 0, 0x01, 0, 0, 0, 0, 0 }; /* peripheral, bus 1 */
	assert_int_equal(vs_lun_decode(bus, &t, &l), -VSCSI_EINVAL);
	const uint8_t lu[8] = { 1, 0, 0x80, 0, 0, 0, 0, 0 }; /* logical unit method */
	assert_int_equal(vs_lun_decode(lu, &t, &l), -VSCSI_EINVAL);
	/* round trip over every LUN */
	for (unsigned i = 0; i <= 16383; i++) {
		uint8_t e[8];
		vs_lun_encode(e, i & 255, i);
		assert_int_equal(vs_lun_decode(e, &t, &l), 0);
		assert_int_equal(l, i);
		assert_int_equal(t, i & 255);
	}
}

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

static void test_asc_texts(void **state)
{
	(void)state;
	/* Everything QEMU produces (qemu-rig §1.4, §2.3) has a text. */
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

/* --- responses -------------------------------------------------------------------- */

static void test_response_mapping(void **state)
{
	(void)state;
	assert_int_equal(vs_response_errno(VSCSI_S_OK), 0);
	assert_int_equal(vs_response_errno(VSCSI_S_OVERRUN), -VSCSI_EOVERFLOW);
	assert_int_equal(vs_response_errno(VSCSI_S_ABORTED), -VSCSI_ECANCELED);
	assert_int_equal(vs_response_errno(VSCSI_S_BAD_TARGET), -VSCSI_ENXIO);
	assert_int_equal(vs_response_errno(VSCSI_S_RESET), -VSCSI_ECONNRESET);
	assert_int_equal(vs_response_errno(VSCSI_S_BUSY), -VSCSI_EBUSY);
	assert_int_equal(vs_response_errno(VSCSI_S_TRANSPORT_FAILURE), -VSCSI_EIO);
	assert_int_equal(vs_response_errno(VSCSI_S_TARGET_FAILURE), -VSCSI_EIO);
	assert_int_equal(vs_response_errno(VSCSI_S_NEXUS_FAILURE), -VSCSI_EIO);
	assert_int_equal(vs_response_errno(VSCSI_S_FAILURE), -VSCSI_EIO);
	assert_int_equal(vs_response_errno(VSCSI_S_INCORRECT_LUN), -VSCSI_ENXIO);
	assert_int_equal(vs_response_errno(VSCSI_S_FUNCTION_SUCCEEDED), -VSCSI_EPROTO);
	assert_int_equal(vs_response_errno(VSCSI_S_FUNCTION_REJECTED), -VSCSI_EPROTO);
	assert_int_equal(vs_response_errno(13), -VSCSI_EPROTO);
	assert_int_equal(vs_response_errno(0xff), -VSCSI_EPROTO);
	assert_string_equal(vscsi_response_name(3), "BAD_TARGET");
	assert_string_equal(vscsi_response_name(12), "INCORRECT_LUN");
	assert_string_equal(vscsi_response_name(0xff), "NO_RESPONSE");
	assert_string_equal(vscsi_response_name(40), "UNKNOWN");

	assert_int_equal(vs_status_errno(SCSI_STATUS_GOOD), 0);
	assert_int_equal(vs_status_errno(SCSI_STATUS_CONDITION_MET), 0);
	assert_int_equal(vs_status_errno(SCSI_STATUS_CHECK_CONDITION), -VSCSI_EIO);
	assert_int_equal(vs_status_errno(SCSI_STATUS_BUSY), -VSCSI_EBUSY);
	assert_int_equal(vs_status_errno(SCSI_STATUS_TASK_SET_FULL), -VSCSI_EBUSY);
	assert_int_equal(vs_status_errno(SCSI_STATUS_RESERVATION_CONFLICT), -VSCSI_EIO);
	assert_int_equal(vs_status_errno(SCSI_STATUS_TASK_ABORTED), -VSCSI_ECANCELED);
	assert_int_equal(vs_status_errno(0x7e), -VSCSI_EPROTO);
}

static void mk_resp(uint8_t *r, uint8_t response, uint8_t status, uint32_t sense_len,
		    uint32_t residual)
{
	memset(r, 0, 108);
	struct virtio_scsi_cmd_resp *p = (struct virtio_scsi_cmd_resp *)r;
	p->response = response;
	p->status = status;
	vs_put_le32(p->sense_len, sense_len);
	vs_put_le32(p->residual, residual);
	for (int i = 0; i < 96; i++)
		p->sense[i] = (uint8_t)(0x70 + i);
}

static void test_decode_response(void **state)
{
	(void)state;
	uint8_t r[108];
	uint8_t sense[32];
	struct vscsi_cmd cmd;
	memset(&cmd, 0, sizeof(cmd));
	cmd.sense = sense;
	cmd.sense_cap = sizeof(sense);

	/* GOOD with a residual larger than the buffer: clamped. */
	mk_resp(r, VSCSI_S_OK, 0, 0, 100000);
	vs_decode_response(r, 96, 512, &cmd);
	assert_int_equal(cmd.result, 0);
	assert_int_equal(cmd.resid, 512);
	assert_int_equal(cmd.sense_len, 0);
	mk_resp(r, VSCSI_S_OK, 0, 0, 8);
	vs_decode_response(r, 96, 512, &cmd);
	assert_int_equal(cmd.resid, 8);

	/* CHECK CONDITION with an absurd sense_len: min(sense_size, buffer). */
	mk_resp(r, VSCSI_S_OK, SCSI_STATUS_CHECK_CONDITION, 5000, 0);
	memset(sense, 0, sizeof(sense));
	vs_decode_response(r, 96, 512, &cmd);
	assert_int_equal(cmd.result, -VSCSI_EIO);
	assert_int_equal(cmd.status, SCSI_STATUS_CHECK_CONDITION);
	assert_int_equal(cmd.sense_len, 32);
	assert_int_equal(sense[0], 0x70);
	assert_int_equal(sense[31], 0x70 + 31);
	/* ... and by the device's sense_size. */
	vs_decode_response(r, 18, 512, &cmd);
	assert_int_equal(cmd.sense_len, 18);
	/* ... and by what the device said it wrote. */
	mk_resp(r, VSCSI_S_OK, SCSI_STATUS_CHECK_CONDITION, 18, 0);
	vs_decode_response(r, 96, 512, &cmd);
	assert_int_equal(cmd.sense_len, 18);
	/* No sense buffer: nothing copied. */
	cmd.sense = NULL;
	vs_decode_response(r, 96, 512, &cmd);
	assert_int_equal(cmd.sense_len, 0);
	cmd.sense = sense;

	/* Transport failure: status and sense are not looked at. */
	mk_resp(r, VSCSI_S_BAD_TARGET, SCSI_STATUS_CHECK_CONDITION, 18, 0);
	vs_decode_response(r, 96, 512, &cmd);
	assert_int_equal(cmd.result, -VSCSI_ENXIO);
	assert_int_equal(cmd.status, 0);
	assert_int_equal(cmd.sense_len, 0);
	assert_int_equal(cmd.resid, 512);
	mk_resp(r, VSCSI_S_INCORRECT_LUN, 0, 0, 0);
	vs_decode_response(r, 96, 0, &cmd);
	assert_int_equal(cmd.result, -VSCSI_ENXIO);

	/* Busy in both forms. */
	mk_resp(r, VSCSI_S_BUSY, 0, 0, 0);
	vs_decode_response(r, 96, 0, &cmd);
	assert_int_equal(cmd.result, -VSCSI_EBUSY);
	mk_resp(r, VSCSI_S_OK, SCSI_STATUS_TASK_SET_FULL, 0, 0);
	vs_decode_response(r, 96, 0, &cmd);
	assert_int_equal(cmd.result, -VSCSI_EBUSY);

	/* The preset "unwritten" response is never read as success. */
	mk_resp(r, 0xff, 0, 0, 0);
	vs_decode_response(r, 96, 4096, &cmd);
	assert_int_equal(cmd.result, -VSCSI_EPROTO);
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_layouts),
		cmocka_unit_test(test_lun_encode),
		cmocka_unit_test(test_lun_decode),
		cmocka_unit_test(test_report_luns_parse),
		cmocka_unit_test(test_report_luns_truncated),
		cmocka_unit_test(test_sense_fixed),
		cmocka_unit_test(test_sense_descriptor),
		cmocka_unit_test(test_asc_texts),
		cmocka_unit_test(test_response_mapping),
		cmocka_unit_test(test_decode_response),
		cmocka_unit_test(test_cdb_rw_choice),
		cmocka_unit_test(test_cdb_builders),
		cmocka_unit_test(test_vpd_parsing),
		cmocka_unit_test(test_disk_names),
		cmocka_unit_test(test_parsers_random_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
