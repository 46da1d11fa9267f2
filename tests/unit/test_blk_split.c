/*
 * test_blk_split.c - the pure parts of drv/blk (split.c): cutting requests
 * into commands within the device's limits, checking requests before
 * anything is sent (alignment, range, read-only, medium), classifying
 * failures (retry / fail / which error).  The SG_IO filter's decisions are
 * in test_sg_io.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "blk/internal.h"

/* --- splitting ---------------------------------------------------------- */

static uint8_t big[1 << 21] __attribute__((aligned(4096)));

static void test_pages(void **state)
{
	(void)state;
	assert_int_equal(vs_blk_pages(0x1000, 0), 0);
	assert_int_equal(vs_blk_pages(0x1000, 1), 1);
	assert_int_equal(vs_blk_pages(0x1000, 4096), 1);
	assert_int_equal(vs_blk_pages(0x1000, 4097), 2);
	assert_int_equal(vs_blk_pages(0x1fff, 2), 2);
	assert_int_equal(vs_blk_pages(0x1064, 8192), 3);
}

static void test_piece_limits(void **state)
{
	(void)state;
	struct vscsi_sg sg = { big, sizeof(big) };
	/* By bytes: 256 KiB per command. */
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 0, 4096, 512, 256 * 1024, 254), 512);
	/* By what is left. */
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 0, 3, 512, 256 * 1024, 254), 3);
	/* By segments: 2 pages of an aligned buffer. */
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 0, 4096, 512, 1 << 20, 2), 16);
	/* Unaligned start, one segment: up to the page end, whole blocks. */
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 100, 4096, 512, 1 << 20, 1), 7);
	/* 4 KiB blocks: a block straddling two pages needs 2 segments. */
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 100, 16, 4096, 1 << 20, 1), 0);
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 100, 16, 4096, 1 << 20, 2), 1);
	/* max_bytes not a multiple of the block: rounded down. */
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 0, 100, 4096, 10000, 254), 2);
	/* Degenerate limits. */
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 0, 0, 512, 4096, 4), 0);
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 0, 8, 0, 4096, 4), 0);
	assert_int_equal(vs_blk_piece_blocks(&sg, 1, 0, 8, 512, 4096, 0), 0);
}

static void test_piece_walks_list(void **state)
{
	(void)state;
	/* Three pieces of 1 KiB, 3 KiB and 4 KiB, each in its own page. */
	struct vscsi_sg sg[3] = {
		{ big, 1024 },
		{ big + 8192, 3072 },
		{ big + 16384, 4096 },
	};
	assert_int_equal(vs_blk_piece_blocks(sg, 3, 0, 16, 512, 1 << 20, 254), 16);
	/* One segment: only the first element fits. */
	assert_int_equal(vs_blk_piece_blocks(sg, 3, 0, 16, 512, 1 << 20, 1), 2);
	/* Starting inside the second element, two segments. */
	assert_int_equal(vs_blk_piece_blocks(sg, 3, 1536, 16, 512, 1 << 20, 2), 13);
	/* Starting exactly at the third element. */
	assert_int_equal(vs_blk_piece_blocks(sg, 3, 4096, 8, 512, 1 << 20, 1), 8);
	/* A block made of two elements (512 = 256 + 256). */
	struct vscsi_sg halves[2] = { { big, 256 }, { big + 4096, 256 } };
	assert_int_equal(vs_blk_piece_blocks(halves, 2, 0, 1, 512, 4096, 1), 0);
	assert_int_equal(vs_blk_piece_blocks(halves, 2, 0, 1, 512, 4096, 2), 1);
	/* Walking the whole request piece by piece covers it exactly. */
	uint64_t left = 16, done = 0;
	size_t off = 0;
	unsigned pieces = 0;
	while (left) {
		uint64_t n = vs_blk_piece_blocks(sg, 3, off, left, 512, 2048, 2);
		assert_true(n > 0);
		left -= n;
		done += n;
		off += n * 512;
		pieces++;
	}
	assert_int_equal(done, 16);
	assert_true(pieces >= 4);
}

/* --- validation ------------------------------------------------------------------ */

static struct vscsi_lun_info disk(void)
{
	struct vscsi_lun_info i;
	memset(&i, 0, sizeof(i));
	i.type = 0;
	i.blocks = 1000;
	i.block_size = 512;
	i.medium = true;
	i.max_transfer_bytes = 65536;
	i.max_segments = 254;
	return i;
}

static struct vscsi_blk_req rq(enum vscsi_blk_op op, uint64_t lba, uint64_t blocks,
			       const struct vscsi_sg *sg, unsigned n)
{
	struct vscsi_blk_req r;
	memset(&r, 0, sizeof(r));
	r.op = op;
	r.lba = lba;
	r.blocks = blocks;
	r.sg = sg;
	r.sg_count = n;
	return r;
}

static void test_validate(void **state)
{
	(void)state;
	struct vscsi_lun_info i = disk();
	struct vscsi_sg one = { big, 512 }, two[2] = { { big, 300 }, { big + 300, 724 } };
	struct vscsi_blk_req r = rq(VSCSI_BLK_READ, 0, 1, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), 0);
	r = rq(VSCSI_BLK_READ, 999, 1, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), 0);
	r = rq(VSCSI_BLK_READ, 1000, 1, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_ERANGE);
	r = rq(VSCSI_BLK_READ, 999, 2, two, 2);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_ERANGE);
	r = rq(VSCSI_BLK_READ, UINT64_MAX, 2, two, 2); /* lba + blocks wraps */
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_ERANGE);
	r = rq(VSCSI_BLK_READ, 0, 0, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EINVAL);
	/* The buffers must hold exactly the blocks. */
	r = rq(VSCSI_BLK_READ, 0, 2, two, 2);
	assert_int_equal(vs_blk_validate(&i, &r), 0);
	r = rq(VSCSI_BLK_READ, 0, 2, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EINVAL);
	struct vscsi_sg odd = { big, 511 };
	r = rq(VSCSI_BLK_WRITE, 0, 1, &odd, 1);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EINVAL);
	r = rq(VSCSI_BLK_WRITE, 0, 1, NULL, 0);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EINVAL);
	struct vscsi_sg nul = { NULL, 512 };
	r = rq(VSCSI_BLK_WRITE, 0, 1, &nul, 1);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EINVAL);
	/* 4 KiB blocks: a 512-byte buffer is unaligned. */
	i.block_size = 4096;
	r = rq(VSCSI_BLK_READ, 0, 1, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EINVAL);
	struct vscsi_sg page = { big, 4096 };
	r = rq(VSCSI_BLK_READ, 0, 1, &page, 1);
	assert_int_equal(vs_blk_validate(&i, &r), 0);
	/* Write protection, medium, gone. */
	i = disk();
	i.read_only = true;
	r = rq(VSCSI_BLK_WRITE, 0, 1, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EROFS);
	r = rq(VSCSI_BLK_READ, 0, 1, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), 0);
	r = rq(VSCSI_BLK_DISCARD, 0, 1, NULL, 0);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EROFS);
	i = disk();
	i.medium = false;
	r = rq(VSCSI_BLK_READ, 0, 1, &one, 1);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_ENOMEDIUM);
	i = disk();
	i.gone = true;
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_ENODEV);
	/* Discard needs UNMAP (with limits) or WRITE SAME(16) UNMAP. */
	i = disk();
	r = rq(VSCSI_BLK_DISCARD, 0, 10, NULL, 0);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EOPNOTSUPP);
	i.unmap_supported = true;
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_EOPNOTSUPP);
	i.max_unmap_blocks = 100;
	i.max_unmap_descriptors = 1;
	assert_int_equal(vs_blk_validate(&i, &r), 0);
	i = disk();
	i.ws16_unmap = true;
	assert_int_equal(vs_blk_validate(&i, &r), 0);
	r = rq(VSCSI_BLK_DISCARD, 995, 10, NULL, 0);
	assert_int_equal(vs_blk_validate(&i, &r), -VSCSI_ERANGE);
	r = rq(VSCSI_BLK_FLUSH, 0, 0, NULL, 0);
	assert_int_equal(vs_blk_validate(&i, &r), 0);
}

/* --- classification ------------------------------------------------------------------ */

static struct vscsi_cmd cc(uint8_t *sense, uint8_t key, uint8_t asc, uint8_t ascq)
{
	struct vscsi_cmd c;
	memset(&c, 0, sizeof(c));
	memset(sense, 0, 18);
	sense[0] = 0x70;
	sense[2] = key;
	sense[7] = 10;
	sense[12] = asc;
	sense[13] = ascq;
	c.sense = sense;
	c.sense_len = 18;
	c.result = -VSCSI_EIO;
	c.response = VSCSI_S_OK;
	c.status = SCSI_STATUS_CHECK_CONDITION;
	return c;
}

static void test_classify(void **state)
{
	(void)state;
	uint8_t s[18];
	struct vs_blk_verdict v;
	struct vscsi_cmd c;
	memset(&c, 0, sizeof(c));
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_OK);

	c = cc(s, 6, 0x29, 0); /* power on: retry */
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	assert_false(v.revalidate);
	vs_blk_classify(VSCSI_BLK_READ, &c, 8, &v); /* retries exhausted */
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EIO);
	c = cc(s, 6, 0x2a, 9); /* capacity changed: retry and re-read */
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	assert_true(v.revalidate);
	c = cc(s, 6, 0x28, 0); /* new medium */
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	assert_true(v.revalidate);
	c = cc(s, 6, 0x3a, 0); /* tray opened */
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_ENOMEDIUM);
	assert_true(v.medium_gone);
	c = cc(s, 2, 0x3a, 0);
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.err, -VSCSI_ENOMEDIUM);
	c = cc(s, 2, 0x04, 0x01); /* becoming ready: later */
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY_LATER);
	assert_true(v.delay_us > 0);
	c = cc(s, 5, 0x21, 0);
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.err, -VSCSI_ERANGE);
	c = cc(s, 7, 0x27, 0);
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 0, &v);
	assert_int_equal(v.err, -VSCSI_EROFS);
	assert_true(v.write_protected);
	c = cc(s, 7, 0x27, 0x07); /* space allocation failed: out of space, not read-only */
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_ENOSPC);
	assert_false(v.write_protected);
	c = cc(s, 5, 0x20, 0); /* no SYNCHRONIZE CACHE: nothing to flush */
	vs_blk_classify(VSCSI_BLK_FLUSH, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_OK);
	vs_blk_classify(VSCSI_BLK_DISCARD, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EOPNOTSUPP);
	c = cc(s, 1, 0x17, 0); /* recovered */
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_OK);
	c = cc(s, 3, 0x11, 0);
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EIO);
	c = cc(s, 0x0b, 0x00, 0x06);
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);

	memset(&c, 0, sizeof(c));
	c.result = -VSCSI_EBUSY;
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY_LATER);
	vs_blk_classify(VSCSI_BLK_READ, &c, 10, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EBUSY);
	c.result = -VSCSI_ECONNRESET;
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	c.result = -VSCSI_ENXIO;
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_ENXIO);
	c.result = -VSCSI_ETIMEDOUT;
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 0, &v);
	assert_int_equal(v.err, -VSCSI_ETIMEDOUT);
	/* CHECK CONDITION without usable sense: plain EIO. */
	c.result = -VSCSI_EIO;
	c.response = 0;
	c.status = SCSI_STATUS_CHECK_CONDITION;
	c.sense_len = 0;
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_piece_limits),
		cmocka_unit_test(test_piece_walks_list),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
