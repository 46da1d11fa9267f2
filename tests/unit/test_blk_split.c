/*
 * test_blk_split.c - the pure parts of drv/blk (split.c): cutting requests
 * into commands within the device's limits, checking requests before
 * anything is sent (alignment, range, read-only, medium), classifying
 * failures (retry / fail / which error; short transfers; reservation
 * conflicts), choosing and cutting discards (UNMAP or WRITE SAME(16), at
 * the device's maximums and on its unmap granularity).  The SG_IO filter's
 * decisions are in test_sg_io.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "support/runner.h"

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

/*
 * The segments run out exactly at the end of one element and the next
 * element starts inside a page: nothing more fits.  The room left was
 * computed as 0 * 4096 - (offset in the page), which wrapped around and
 * let the whole next element in (24 blocks where 16 fit).
 */
static void test_piece_no_segments_left(void **state)
{
	(void)state;
	struct vscsi_sg sg[2] = {
		{ big, 8192 },                 /* two whole pages: both segments */
		{ big + 16384 + 512, 4096 },   /* starts 512 bytes into a page */
	};
	assert_int_equal(vs_blk_piece_blocks(sg, 2, 0, 24, 512, 1 << 20, 2), 16);
	/* With a third segment the next element's first page fits too. */
	assert_int_equal(vs_blk_piece_blocks(sg, 2, 0, 24, 512, 1 << 20, 3), 23);
	assert_int_equal(vs_blk_piece_blocks(sg, 2, 0, 24, 512, 1 << 20, 4), 24);
	/* From the second element on: its pages, up to the last whole block. */
	assert_int_equal(vs_blk_piece_blocks(sg, 2, 8192, 8, 512, 1 << 20, 1), 7);
}

/*
 * seg_max = 1: each element is its own command, whatever its alignment.
 * Walking a two-element list gives one piece per element, and every piece
 * fits in one page-granular segment.
 */
static void test_piece_one_segment_per_command(void **state)
{
	(void)state;
	struct vscsi_sg sg[2] = {
		{ big + 4096 + 1024, 1024 },
		{ big + 3 * 4096 + 512, 2048 },
	};
	uint64_t left = 6;
	size_t off = 0;
	uint64_t got[4];
	unsigned pieces = 0;
	while (left && pieces < 4) {
		uint64_t n = vs_blk_piece_blocks(sg, 2, off, left, 512, 1 << 20, 1);
		assert_true(n > 0);
		got[pieces++] = n;
		left -= n;
		off += n * 512;
	}
	assert_int_equal(left, 0);
	assert_int_equal(pieces, 2);
	assert_int_equal(got[0], 2);
	assert_int_equal(got[1], 4);
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
	/* RESERVATION CONFLICT (SAM-5 §5.3.1): another initiator holds the
	 * reservation; failed at once with its own code (Linux: EBADE). */
	memset(&c, 0, sizeof(c));
	c.result = -VSCSI_EIO;
	c.response = VSCSI_S_OK;
	c.status = SCSI_STATUS_RESERVATION_CONFLICT;
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EBADE);
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.err, -VSCSI_EBADE);
	/* CHECK CONDITION without usable sense: plain EIO. */
	c.result = -VSCSI_EIO;
	c.response = 0;
	c.status = SCSI_STATUS_CHECK_CONDITION;
	c.sense_len = 0;
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EIO);
}

/*
 * GOOD status with a residual: the device moved fewer bytes than the
 * command asked for.  For a READ the rest of the buffer holds stale bytes,
 * for a WRITE the rest never reached the medium: never success.  The
 * command is sent again (twice at most), then the request fails with EIO.
 * A residual larger than the transfer (how much moved is unknown) is
 * treated the same way.
 */
static void test_classify_short_transfer(void **state)
{
	(void)state;
	struct vs_blk_verdict v;
	struct vscsi_cmd c;
	memset(&c, 0, sizeof(c));
	c.response = VSCSI_S_OK;
	c.status = SCSI_STATUS_GOOD;
	c.data_len = 4096;
	c.resid = 3584; /* 512 of 4096 moved */
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	assert_true(v.short_transfer);
	vs_blk_classify(VSCSI_BLK_READ, &c, 1, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	vs_blk_classify(VSCSI_BLK_READ, &c, 2, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EIO);
	assert_true(v.short_transfer);
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 2, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	assert_int_equal(v.err, -VSCSI_EIO);
	/* Everything moved: fine. */
	c.resid = 0;
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_OK);
	assert_false(v.short_transfer);
	/* More than asked "not moved": unknown, the same as short. */
	c.resid = 4096;
	c.resid_invalid = true;
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	assert_true(v.short_transfer);
	vs_blk_classify(VSCSI_BLK_WRITE, &c, 2, &v);
	assert_int_equal(v.action, VS_BLK_FAIL);
	/* Commands without data to check: a flush, a discard's parameter list. */
	vs_blk_classify(VSCSI_BLK_FLUSH, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_OK);
	vs_blk_classify(VSCSI_BLK_DISCARD, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_OK);
	/* A recovered error that still moved short is short. */
	uint8_t s[18];
	c = cc(s, 1, 0x17, 0);
	c.data_len = 4096;
	c.resid = 512;
	vs_blk_classify(VSCSI_BLK_READ, &c, 0, &v);
	assert_int_equal(v.action, VS_BLK_RETRY);
	assert_true(v.short_transfer);
}

/* --- discard ------------------------------------------------------------------------- */

static struct vscsi_lun_info thin(void)
{
	struct vscsi_lun_info i = disk();
	i.blocks = 1u << 24;
	i.unmap_supported = true;
	i.ws16_unmap = true;
	i.max_unmap_blocks = 2048;
	i.max_unmap_descriptors = 255;
	i.unmap_granularity = 128;
	i.max_write_same_blocks = 4096;
	return i;
}

static void test_discard_mode(void **state)
{
	(void)state;
	struct vscsi_lun_info i = thin();
	/* UNMAP when the device has it and says how much one may carry. */
	assert_int_equal(vs_blk_discard_mode(&i), VS_DISCARD_UNMAP);
	/* MAXIMUM UNMAP LBA COUNT 0 (QEMU's max_unmap_size=0): WRITE SAME(16). */
	i.max_unmap_blocks = 0;
	assert_int_equal(vs_blk_discard_mode(&i), VS_DISCARD_WRITE_SAME);
	i = thin();
	i.max_unmap_descriptors = 0;
	assert_int_equal(vs_blk_discard_mode(&i), VS_DISCARD_WRITE_SAME);
	i = thin();
	i.unmap_supported = false;
	assert_int_equal(vs_blk_discard_mode(&i), VS_DISCARD_WRITE_SAME);
	i.ws16_unmap = false;
	assert_int_equal(vs_blk_discard_mode(&i), VS_DISCARD_NONE);
	i = thin();
	i.ws16_unmap = false;
	i.max_unmap_blocks = 0;
	assert_int_equal(vs_blk_discard_mode(&i), VS_DISCARD_NONE);
}

/* VPD B0h (SBC-4 §6.6.4): the unmap limits, OPTIMAL UNMAP GRANULARITY and
 * UNMAP GRANULARITY ALIGNMENT with UGAVALID (bytes 32-35), only when the
 * page reaches them. */
static void test_discard_limits_parsed(void **state)
{
	(void)state;
	uint8_t d[64];
	memset(d, 0, sizeof(d));
	d[1] = 0xb0;
	d[3] = 0x3c; /* page length 60 */
	vs_put_be32(d + 20, 2048);        /* MAXIMUM UNMAP LBA COUNT */
	vs_put_be32(d + 24, 4);           /* MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT */
	vs_put_be32(d + 28, 128);         /* OPTIMAL UNMAP GRANULARITY */
	vs_put_be32(d + 32, 0x80000008u); /* UGAVALID, UNMAP GRANULARITY ALIGNMENT 8 */
	vs_put_be64(d + 36, 4096);        /* MAXIMUM WRITE SAME LENGTH */
	struct vscsi_lun_info i;
	memset(&i, 0, sizeof(i));
	vs_parse_vpd_b0(d, sizeof(d), &i);
	assert_int_equal(i.max_unmap_blocks, 2048);
	assert_int_equal(i.max_unmap_descriptors, 4);
	assert_int_equal(i.unmap_granularity, 128);
	assert_true(i.unmap_alignment_valid);
	assert_int_equal(i.unmap_alignment, 8);
	assert_int_equal(i.max_write_same_blocks, 4096);
	/* Without UGAVALID the alignment is not to be used. */
	d[32] = 0;
	memset(&i, 0, sizeof(i));
	vs_parse_vpd_b0(d, sizeof(d), &i);
	assert_false(i.unmap_alignment_valid);
	/* A page that stops before byte 36 says nothing about it. */
	d[32] = 0x80;
	d[3] = 28; /* 32 bytes in all */
	memset(&i, 0, sizeof(i));
	vs_parse_vpd_b0(d, sizeof(d), &i);
	assert_int_equal(i.unmap_granularity, 128);
	assert_false(i.unmap_alignment_valid);
	assert_int_equal(i.unmap_alignment, 0);
}

static void test_discard_pieces(void **state)
{
	(void)state;
	struct vscsi_lun_info i = thin();
	enum vs_discard_mode m = VS_DISCARD_UNMAP;
	/* Within the maximum: in one. */
	assert_int_equal(vs_blk_discard_blocks(&i, m, 0, 2048), 2048);
	assert_int_equal(vs_blk_discard_blocks(&i, m, 5, 100), 100);
	/* Over it, from an aligned start: the maximum (a multiple of 128). */
	assert_int_equal(vs_blk_discard_blocks(&i, m, 0, 5000), 2048);
	/* From a start inside a granule: the command ends on a granule
	 * boundary, so the next one starts on one (no granule is split
	 * between two commands, which would leave it mapped). */
	assert_int_equal(vs_blk_discard_blocks(&i, m, 2112, 6144), 1984);
	assert_int_equal(vs_blk_discard_blocks(&i, m, 4096, 6144 - 1984), 2048);
	/* A maximum that is not a multiple of the granularity is rounded
	 * down to one. */
	i.max_unmap_blocks = 1000;
	assert_int_equal(vs_blk_discard_blocks(&i, m, 0, 5000), 896);
	/* A maximum smaller than a granule: the maximum. */
	i.max_unmap_blocks = 100;
	assert_int_equal(vs_blk_discard_blocks(&i, m, 0, 5000), 100);
	/* UNMAP GRANULARITY ALIGNMENT (UGAVALID): granules start at 8 + k * 128. */
	i = thin();
	i.unmap_alignment = 8;
	i.unmap_alignment_valid = true;
	assert_int_equal(vs_blk_discard_blocks(&i, m, 0, 5000), 1928);
	assert_int_equal(vs_blk_discard_blocks(&i, m, 1928, 5000), 2048);
	/* No granularity (0 or 1): the maximum as is. */
	i = thin();
	i.unmap_granularity = 0;
	i.max_unmap_blocks = 1000;
	assert_int_equal(vs_blk_discard_blocks(&i, m, 7, 5000), 1000);
	/* MAXIMUM UNMAP LBA COUNT FFFFFFFFh means no limit; one descriptor
	 * still carries at most FFFFFFFFh blocks. */
	i = thin();
	i.max_unmap_blocks = 0xffffffffu;
	i.unmap_granularity = 1;
	assert_int_equal(vs_blk_discard_blocks(&i, m, 0, 1ull << 33), 0xffffffffull);
	/* WRITE SAME(16): MAXIMUM WRITE SAME LENGTH, granules too. */
	i = thin();
	m = VS_DISCARD_WRITE_SAME;
	assert_int_equal(vs_blk_discard_blocks(&i, m, 0, 10000), 4096);
	assert_int_equal(vs_blk_discard_blocks(&i, m, 64, 10000), 4032);
	/* No MAXIMUM WRITE SAME LENGTH given: a bounded default. */
	i.max_write_same_blocks = 0;
	uint64_t n = vs_blk_discard_blocks(&i, m, 0, 1ull << 32);
	assert_true(n > 0 && n < (1ull << 32) && n % 128 == 0);
	/* A whole range cut piece by piece covers it exactly. */
	i = thin();
	uint64_t lba = 2112, left = 6144, done = 0;
	unsigned pieces = 0;
	while (left) {
		uint64_t k = vs_blk_discard_blocks(&i, VS_DISCARD_UNMAP, lba, left);
		assert_true(k > 0 && k <= 2048);
		if (left > k)
			assert_int_equal((lba + k) % 128, 0);
		lba += k;
		left -= k;
		done += k;
		pieces++;
	}
	assert_int_equal(done, 6144);
	assert_int_equal(pieces, 4);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_piece_limits),
		cmocka_unit_test(test_piece_walks_list),
		cmocka_unit_test(test_piece_no_segments_left),
		cmocka_unit_test(test_piece_one_segment_per_command),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_classify_short_transfer),
		cmocka_unit_test(test_discard_mode),
		cmocka_unit_test(test_discard_limits_parsed),
		cmocka_unit_test(test_discard_pieces),
	};
	return vs_run_tests(tests, argc, argv);
}
