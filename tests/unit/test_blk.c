/*
 * test_blk.c - the block layer (drv/blk/disk.c, cdrom.c) against the SCSI
 * target model: requests split at the device's limits and joined, scatter
 * lists, requests refused before anything is sent, flush and discard,
 * many asynchronous requests on two queues, and a CD-ROM whose medium
 * goes, comes back and is ejected.  Then what issue 9 found: FUA and the
 * write cache (DPOFUA, WCE, flush at power-off and removal), discards
 * (UNMAP or WRITE SAME(16), maximums, granularity), short transfers,
 * scatter lists at the segment limit, a controller that dies under a
 * request.
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

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

static void test_blk_roundtrip_split(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 4096, 512);
	model_add_lun(0, 1, 0, 512, 4096);
	struct bring_up_opts fo = { .max_sectors = 16, .seg_max = 4, .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_non_null(d);
	struct vscsi_blk_info bi;
	assert_int_equal(vscsi_blk_get_info(d, &bi), 0);
	assert_int_equal(bi.max_transfer_bytes, 8192); /* max_sectors 16 */

	static uint8_t w[300 * 512], rd[300 * 512];
	fill(w, sizeof(w), 3);
	model.writes = model.reads = 0;
	assert_int_equal(vscsi_blk_write(d, 100, 300, w, VSCSI_BLK_FUA), 0);
	assert_true(model.writes >= 300 * 512 / 8192);
	assert_true(model.max_xfer <= 8192);
	memset(rd, 0, sizeof(rd));
	assert_int_equal(vscsi_blk_read(d, 100, 300, rd), 0);
	assert_memory_equal(w, rd, sizeof(w));
	assert_memory_equal(model.lun[0].data + 100 * 512, w, sizeof(w));

	/* A scatter list of odd pieces. */
	struct vscsi_sg sg[3] = { { rd, 100 }, { rd + 1000, 1948 }, { rd + 5000, 1024 } };
	memset(rd, 0, sizeof(rd));
	assert_int_equal(vscsi_blk_readv(d, 100, 6, sg, 3), 0);
	assert_memory_equal(rd, w, 100);
	assert_memory_equal(rd + 1000, w + 100, 1948);
	assert_memory_equal(rd + 5000, w + 2048, 1024);

	/* Refused before sending. */
	unsigned before = model.cmds;
	assert_int_equal(vscsi_blk_read(d, 4095, 2, rd), -VSCSI_ERANGE);
	assert_int_equal(vscsi_blk_read(d, 0, 0, rd), -VSCSI_EINVAL);
	struct vscsi_sg bad = { rd, 700 };
	assert_int_equal(vscsi_blk_readv(d, 0, 1, &bad, 1), -VSCSI_EINVAL);
	assert_int_equal(model.cmds, before);

	/* 4096-byte blocks. */
	struct vscsi_lun *e = vscsi_lun_find("sdb");
	assert_non_null(e);
	assert_int_equal(vscsi_blk_write(e, 10, 20, w, 0), 0);
	memset(rd, 0, sizeof(rd));
	assert_int_equal(vscsi_blk_read(e, 10, 20, rd), 0);
	assert_memory_equal(rd, w, 20 * 4096);

	/* flush, discard */
	assert_int_equal(vscsi_blk_flush(d), 0);
	assert_int_equal(vscsi_blk_discard(d, 100, 10), 0);
	uint8_t zero[5120];
	memset(zero, 0, sizeof(zero));
	assert_memory_equal(model.lun[0].data + 100 * 512, zero, sizeof(zero));

	assert_int_equal(model.sim.driver_errors, 0);
	assert_int_equal(model.overruns, 0);
	assert_int_equal(model.dup_tags, 0);
	tear_down();
}

struct async_ctx {
	unsigned done;
	int result;
};

static void async_done(struct vscsi_blk_req *req)
{
	struct async_ctx *a = req->arg;
	a->done++;
	a->result = req->result;
}

static void test_blk_async_many(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 8192, 512);
	struct bring_up_opts fo = { .nrq = 2, .max_sectors = 8, .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	static uint8_t w[64][4096];
	static struct vscsi_blk_req req[64];
	static struct vscsi_sg sg[64];
	struct async_ctx a = { 0, 0 };
	for (unsigned i = 0; i < 64; i++) {
		fill(w[i], 4096, i);
		sg[i] = (struct vscsi_sg){ w[i], 4096 };
		memset(&req[i], 0, sizeof(req[i]));
		req[i].op = VSCSI_BLK_WRITE;
		req[i].lba = i * 8;
		req[i].blocks = 8;
		req[i].sg = &sg[i];
		req[i].sg_count = 1;
		req[i].done = async_done;
		req[i].arg = &a;
		req[i].flags = VSCSI_BLK_NO_KICK;
		assert_int_equal(vscsi_blk_submit(d, &req[i]), 0);
	}
	vscsi_blk_kick(d);
	for (int spin = 0; spin < 100000 && a.done < 64; spin++)
		vscsi_blk_poll();
	assert_int_equal(a.done, 64);
	assert_int_equal(a.result, 0);
	for (unsigned i = 0; i < 64; i++)
		assert_memory_equal(model.lun[0].data + i * 4096, w[i], 4096);
	assert_int_equal(model.dup_tags, 0);
	assert_int_equal(model.sim.driver_errors, 0);
	tear_down();
}

static void test_cdrom(void **state)
{
	(void)state;
	struct sim_lun *cd = model_add_lun(0, 0, 5, 100, 2048);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *sr = vscsi_lun_find("sr0");
	assert_non_null(sr);
	struct vscsi_blk_info bi;
	assert_int_equal(vscsi_blk_get_info(sr, &bi), 0);
	assert_true(bi.cdrom);
	assert_true(bi.medium);
	assert_int_equal(bi.block_size, 2048);
	uint8_t b[2048];
	memcpy(cd->data, "CD001", 5);
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), 0);
	assert_memory_equal(b, "CD001", 5);
	assert_int_equal(vscsi_blk_write(sr, 0, 1, b, 0), -VSCSI_EROFS);
	/* Tray opened by the host: 06/3A/00 then 02/3A/00. */
	cd->medium = false;
	cd->ua = true;
	cd->ua_asc = 0x3a;
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), -VSCSI_ENOMEDIUM);
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), -VSCSI_ENOMEDIUM);
	assert_false(vscsi_lun_info(sr)->medium);
	/* New medium: 06/28/00, capacity refreshed. */
	cd->medium = true;
	cd->blocks = 50;
	cd->ua = true;
	cd->ua_asc = 0x28;
	assert_int_equal(vscsi_blk_check_medium(sr), 0);
	assert_int_equal(vscsi_lun_info(sr)->blocks, 50);
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), 0);
	/* Eject through the driver. */
	assert_int_equal(vscsi_blk_eject(sr), 0);
	assert_false(cd->medium);
	assert_false(vscsi_lun_info(sr)->medium);
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), -VSCSI_ENOMEDIUM);
	assert_int_equal(vscsi_blk_load(sr), 0);
	assert_true(vscsi_lun_info(sr)->medium);
	tear_down();
}

/* --- write cache: FUA, SYNCHRONIZE CACHE (issue 9 item 7) ------------------------- */

/* The model's log of one LUN's medium commands, from index `from` on. */
static unsigned io_of(unsigned target, unsigned from, struct sim_io *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = from; i < model.nio && n < max; i++)
		if (model.io[i].target == target)
			out[n++] = model.io[i];
	return n;
}

/*
 * SBC-4 §6.5.1: DPOFUA 0 says the device does not take FUA.  A FUA write
 * to it is sent as plain WRITEs, and the request completes only after a
 * SYNCHRONIZE CACHE of the written range.  With DPOFUA 1 every WRITE
 * carries FUA and no SYNCHRONIZE CACHE follows; without FUA, neither.
 */
static void test_fua_follows_dpofua(void **state)
{
	(void)state;
	struct sim_lun *a = model_add_lun(0, 0, 0, 4096, 512);
	struct sim_lun *b = model_add_lun(1, 0, 0, 4096, 512);
	a->wce = b->wce = true;
	a->dpofua = false;
	b->dpofua = true;
	struct bring_up_opts fo = { .max_target = 1 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *da = vscsi_lun_find("sda"), *db = vscsi_lun_find("sdb");
	struct vscsi_blk_info bi;
	assert_int_equal(vscsi_blk_get_info(da, &bi), 0);
	assert_false(bi.fua);
	assert_true(bi.write_cache);
	assert_int_equal(vscsi_blk_get_info(db, &bi), 0);
	assert_true(bi.fua);

	static uint8_t w[300 * 512];
	fill(w, sizeof(w), 9);
	struct sim_io io[16];
	/* DPOFUA 0: WRITEs without FUA (64 blocks per command: VPD B0h), then
	 * one SYNCHRONIZE CACHE (10) of LBA 100, 300 blocks, last. */
	unsigned from = model.nio;
	assert_int_equal(vscsi_blk_write(da, 100, 300, w, VSCSI_BLK_FUA), 0);
	unsigned n = io_of(0, from, io, 16);
	assert_int_equal(n, 6);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(io[i].opcode, SCSI_WRITE_10);
		assert_false(io[i].fua);
	}
	assert_int_equal(io[5].opcode, SCSI_SYNCHRONIZE_CACHE_10);
	assert_int_equal(io[5].lba, 100);
	assert_int_equal(io[5].blocks, 300);
	assert_memory_equal(a->data + 100 * 512, w, sizeof(w));
	/* DPOFUA 1: FUA on every WRITE, no SYNCHRONIZE CACHE. */
	from = model.nio;
	assert_int_equal(vscsi_blk_write(db, 100, 300, w, VSCSI_BLK_FUA), 0);
	n = io_of(1, from, io, 16);
	assert_int_equal(n, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(io[i].opcode, SCSI_WRITE_10);
		assert_true(io[i].fua);
	}
	/* No FUA asked: plain WRITEs on both, nothing else. */
	from = model.nio;
	assert_int_equal(vscsi_blk_write(da, 0, 8, w, 0), 0);
	assert_int_equal(vscsi_blk_write(db, 0, 8, w, 0), 0);
	assert_int_equal(io_of(0, from, io, 16), 1);
	assert_false(io[0].fua);
	assert_int_equal(io_of(1, from, io, 16), 1);
	assert_false(io[0].fua);
	assert_int_equal(model.sim.driver_errors, 0);
	tear_down();
}

/* When the SYNCHRONIZE CACHE after a FUA write fails, the write fails:
 * the data may not be on the medium. */
static void test_fua_sync_failure_fails_write(void **state)
{
	(void)state;
	struct sim_lun *a = model_add_lun(0, 0, 0, 4096, 512);
	a->wce = true;
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	uint8_t w[512];
	fill(w, sizeof(w), 1);
	model.sync_error = true; /* MEDIUM ERROR, WRITE ERROR (03/0C/00) */
	unsigned syncs = model.syncs;
	struct vscsi_blk_req req;
	memset(&req, 0, sizeof(req));
	struct vscsi_sg sg = { w, 512 };
	req.op = VSCSI_BLK_WRITE;
	req.flags = VSCSI_BLK_FUA;
	req.lba = 7;
	req.blocks = 1;
	req.sg = &sg;
	req.sg_count = 1;
	assert_int_equal(vscsi_blk_exec(d, &req), -VSCSI_EIO);
	assert_int_equal(model.syncs, syncs + 1);
	assert_int_equal(req.commands, 2);
	assert_int_equal(req.sense[12], 0x0c);
	/* Without FUA nothing is flushed: the write succeeds. */
	assert_int_equal(vscsi_blk_write(d, 7, 1, w, 0), 0);
	assert_int_equal(model.syncs, syncs + 1);
	tear_down();
}

/*
 * The write cache is flushed when the host powers off (vscsi_blk_flush_all)
 * and when a controller is removed: one SYNCHRONIZE CACHE of the whole LUN
 * to every disk whose caching page says WCE, none to the others.
 */
static void test_flush_all_and_on_remove(void **state)
{
	(void)state;
	struct sim_lun *a = model_add_lun(0, 0, 0, 4096, 512);
	struct sim_lun *b = model_add_lun(1, 0, 0, 4096, 512);
	struct sim_lun *cd = model_add_lun(2, 0, 5, 100, 2048);
	a->wce = true;
	b->wce = false;
	(void)cd;
	struct bring_up_opts fo = { .max_target = 2 };
	assert_int_equal(bring_up(&fo), 0);
	assert_true(vscsi_lun_info(vscsi_lun_find("sda"))->write_cache);
	assert_false(vscsi_lun_info(vscsi_lun_find("sdb"))->write_cache);

	struct sim_io io[8];
	unsigned from = model.nio;
	assert_int_equal(vscsi_blk_flush_all(), 0);
	assert_int_equal(model.nio - from, 1);
	assert_int_equal(io_of(0, from, io, 8), 1);
	assert_int_equal(io[0].opcode, SCSI_SYNCHRONIZE_CACHE_10);
	assert_int_equal(io[0].lba, 0);
	assert_int_equal(io[0].blocks, 0);

	/* Removing the controller flushes before the device is stopped. */
	from = model.nio;
	unsigned syncs = model.syncs;
	vscsi_remove(ctrl);
	ctrl = NULL;
	assert_int_equal(model.syncs, syncs + 1);
	assert_int_equal(io_of(0, from, io, 8), 1);
	assert_int_equal(io[0].opcode, SCSI_SYNCHRONIZE_CACHE_10);
	assert_int_equal(io_of(1, from, io, 8), 0);
	tear_down();
}

/* --- discard (item 8) ------------------------------------------------------------- */

static struct sim_lun *thin_lun(unsigned t, bool lbpu, bool lbpws)
{
	struct sim_lun *L = model_add_lun(t, 0, 0, 1u << 15, 512);
	L->lbp_set = true;
	L->lbpu = lbpu;
	L->lbpws = lbpws;
	L->max_unmap_blocks = lbpu ? 2048 : 0;
	L->max_unmap_desc = lbpu ? 4 : 0;
	L->unmap_gran = 128;
	L->max_ws_blocks = 4096;
	memset(L->data, 0x5a, (size_t)L->blocks * L->bs);
	return L;
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/*
 * UNMAP at the device's MAXIMUM UNMAP LBA COUNT, each command but the
 * last ending on an OPTIMAL UNMAP GRANULARITY boundary: a range from
 * inside a granule is cut 1984 + 2048 + 2048 + 64, not 3 x 2048 (which
 * would split the granules at 4160 and 6208 between two commands).
 */
static void test_discard_unmap_granularity(void **state)
{
	(void)state;
	struct sim_lun *L = thin_lun(0, true, true);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_int_equal(vscsi_lun_info(d)->unmap_granularity, 128);
	unsigned from = model.nio;
	assert_int_equal(vscsi_blk_discard(d, 2112, 6144), 0);
	struct sim_io io[8];
	unsigned n = io_of(0, from, io, 8);
	assert_int_equal(n, 4);
	const uint64_t lba[4] = { 2112, 4096, 6144, 8192 };
	const uint32_t cnt[4] = { 1984, 2048, 2048, 64 };
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(io[i].opcode, SCSI_UNMAP);
		assert_int_equal(io[i].lba, lba[i]);
		assert_int_equal(io[i].blocks, cnt[i]);
	}
	assert_int_equal(model.write_sames, 0);
	assert_true(all(L->data + 2112 * 512, 6144 * 512, 0));
	assert_true(all(L->data, 2112 * 512, 0x5a));
	assert_true(all(L->data + 8256 * 512, (L->blocks - 8256) * 512, 0x5a));
	/* Out of range: refused, nothing sent, nothing changed. */
	unsigned cmds = model.cmds;
	assert_int_equal(vscsi_blk_discard(d, L->blocks - 10, 11), -VSCSI_ERANGE);
	assert_int_equal(model.cmds, cmds);
	assert_true(all(L->data + (L->blocks - 10) * 512, 10 * 512, 0x5a));
	tear_down();
}

/*
 * No UNMAP (LBPU 0, or MAXIMUM UNMAP LBA COUNT 0 as QEMU's max_unmap_size=0
 * gives): WRITE SAME(16) with the UNMAP bit and one zero block, at most
 * MAXIMUM WRITE SAME LENGTH blocks each, on granule boundaries.
 */
static void test_discard_write_same(void **state)
{
	(void)state;
	struct sim_lun *L = thin_lun(0, false, true);
	struct sim_lun *M = thin_lun(1, true, true);
	M->max_unmap_blocks = 0;
	struct sim_lun *N = thin_lun(2, false, false);
	(void)N;
	struct bring_up_opts fo = { .max_target = 2 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	struct vscsi_blk_info bi;
	assert_int_equal(vscsi_blk_get_info(d, &bi), 0);
	assert_true(bi.discard);
	unsigned from = model.nio;
	assert_int_equal(vscsi_blk_discard(d, 3, 10000), 0);
	struct sim_io io[8];
	unsigned n = io_of(0, from, io, 8);
	assert_int_equal(n, 3);
	const uint64_t lba[3] = { 3, 4096, 8192 };
	const uint32_t cnt[3] = { 4093, 4096, 1811 };
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(io[i].opcode, SCSI_WRITE_SAME_16);
		assert_true(io[i].fua); /* the UNMAP bit */
		assert_int_equal(io[i].lba, lba[i]);
		assert_int_equal(io[i].blocks, cnt[i]);
	}
	assert_int_equal(model.unmaps, 0);
	assert_true(all(L->data + 3 * 512, 10000 * 512, 0));
	assert_true(all(L->data, 3 * 512, 0x5a));
	assert_true(all(L->data + 10003 * 512, 512, 0x5a));
	/* MAXIMUM UNMAP LBA COUNT 0: WRITE SAME too. */
	from = model.nio;
	assert_int_equal(vscsi_blk_discard(vscsi_lun_find("sdb"), 0, 100), 0);
	assert_int_equal(io_of(1, from, io, 8), 1);
	assert_int_equal(io[0].opcode, SCSI_WRITE_SAME_16);
	/* Neither: refused, nothing sent. */
	unsigned cmds = model.cmds;
	struct vscsi_lun *e = vscsi_lun_find("sdc");
	assert_int_equal(vscsi_blk_get_info(e, &bi), 0);
	assert_false(bi.discard);
	assert_int_equal(vscsi_blk_discard(e, 0, 100), -VSCSI_EOPNOTSUPP);
	assert_int_equal(model.cmds, cmds);
	assert_int_equal(model.sim.driver_errors, 0);
	tear_down();
}

/* --- residuals (item 12) ------------------------------------------------------------ */

/*
 * The device says GOOD but moves 512 of 4096 bytes: the READ is not taken
 * as done (stale bytes would be returned as data).  Once short, it is sent
 * again and the whole transfer arrives; always short, it fails with EIO
 * after two more tries, with a log line each time.  The same for WRITE and
 * for a piece in the middle of a split request.
 */
static void test_short_transfer_is_an_error(void **state)
{
	(void)state;
	struct sim_lun *L = model_add_lun(0, 0, 0, 4096, 512);
	fill(L->data, 4096 * 512, 4);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	static uint8_t buf[4096], w[4096];
	/* Short once: sent again, right data. */
	memset(buf, 0xee, sizeof(buf));
	host_glue_log_reset();
	model.short_next = 1;
	model.short_bytes = 512;
	unsigned reads = model.reads;
	assert_int_equal(vscsi_blk_read(d, 8, 8, buf), 0);
	assert_int_equal(model.shorted, 1);
	assert_int_equal(model.reads - reads, 2);
	assert_memory_equal(buf, L->data + 8 * 512, 4096);
	assert_true(host_glue_log_contains("short read at LBA 8: status GOOD with 512 of 4096 "
					   "bytes moved: sending it again"));
	/* Always short: EIO after three tries, never the stale bytes as data. */
	host_glue_log_reset();
	model.short_next = ~0u;
	model.shorted = 0;
	assert_int_equal(vscsi_blk_read(d, 8, 8, buf), -VSCSI_EIO);
	assert_int_equal(model.shorted, 3);
	assert_true(host_glue_log_contains("short read at LBA 8: status GOOD with 512 of 4096 "
					   "bytes moved: failed (EIO)"));
	/* A short WRITE: the same. */
	fill(w, sizeof(w), 77);
	assert_int_equal(vscsi_blk_write(d, 16, 8, w, 0), -VSCSI_EIO);
	assert_true(host_glue_log_contains("short write at LBA 16"));
	model.short_next = 1;
	assert_int_equal(vscsi_blk_write(d, 16, 8, w, 0), 0);
	assert_memory_equal(L->data + 16 * 512, w, sizeof(w));
	/* Short in the middle of a split request (64 blocks per command). */
	static uint8_t big[200 * 512];
	model.short_next = ~0u;
	model.short_bytes = 64 * 512 - 512;
	assert_int_equal(vscsi_blk_read(d, 0, 200, big), -VSCSI_EIO);
	model.short_next = 2;
	assert_int_equal(vscsi_blk_read(d, 0, 200, big), 0);
	assert_memory_equal(big, L->data, sizeof(big));
	model.short_next = 0;
	tear_down();
}

/* The same through a page-splitting dma_map (an IOMMU or bounce map may
 * return less than asked at every page boundary). */
static void test_short_transfer_split_maps(void **state)
{
	(void)state;
	struct sim_lun *L = model_add_lun(0, 0, 0, 4096, 512);
	fill(L->data, 4096 * 512, 5);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	host_glue_dma_split(4096);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	static uint8_t buf[8192 + 4096] __attribute__((aligned(4096)));
	memset(buf, 0xee, sizeof(buf));
	model.short_next = ~0u;
	model.short_bytes = 4096;
	assert_int_equal(vscsi_blk_read(d, 0, 16, buf + 512), -VSCSI_EIO);
	model.short_next = 1;
	assert_int_equal(vscsi_blk_read(d, 0, 16, buf + 512), 0);
	assert_memory_equal(buf + 512, L->data, 8192);
	assert_int_equal(host_glue_live_maps(), 0);
	tear_down();
}

/* --- scatter lists at the segment limit (item 13) ------------------------------------- */

/*
 * seg_max = 1: a readv of two elements is split into one command per
 * element (it used to fail with E2BIG and send nothing); the same with a
 * dma_map that splits at pages, and with elements that cross pages.
 */
static void test_seg_max_one_readv(void **state)
{
	(void)state;
	struct sim_lun *L = model_add_lun(0, 0, 0, 4096, 512);
	fill(L->data, 4096 * 512, 6);
	struct bring_up_opts fo = { .max_target = 0, .seg_max = 1 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_int_equal(vscsi_lun_info(d)->max_segments, 1);
	static uint8_t buf[8 * 4096] __attribute__((aligned(4096)));
	memset(buf, 0, sizeof(buf));
	struct vscsi_sg sg[2] = { { buf + 4096 + 1024, 1024 }, { buf + 3 * 4096 + 512, 2048 } };
	unsigned reads = model.reads;
	assert_int_equal(vscsi_blk_readv(d, 10, 6, sg, 2), 0);
	assert_int_equal(model.reads - reads, 2);
	assert_memory_equal(buf + 4096 + 1024, L->data + 10 * 512, 1024);
	assert_memory_equal(buf + 3 * 4096 + 512, L->data + 12 * 512, 2048);
	/* Elements crossing pages, maps split at pages: one page per command. */
	host_glue_dma_split(4096);
	struct vscsi_sg cross[2] = { { buf + 4096 - 512, 1024 }, { buf + 5 * 4096 - 1024, 3072 } };
	reads = model.reads;
	assert_int_equal(vscsi_blk_readv(d, 100, 8, cross, 2), 0);
	assert_memory_equal(buf + 4096 - 512, L->data + 100 * 512, 1024);
	assert_memory_equal(buf + 5 * 4096 - 1024, L->data + 102 * 512, 3072);
	assert_true(model.reads - reads >= 4);
	assert_int_equal(host_glue_live_maps(), 0);
	assert_int_equal(model.sim.driver_errors, 0);
	tear_down();
}

/*
 * Two segments and a dma_map that splits at pages: the first element
 * (4 KiB from the middle of a page) takes both segments, so the second,
 * which starts inside a page, must wait for the next command.  The old
 * piece-size arithmetic wrapped here and put both elements in one command,
 * which the adapter could not map (E2BIG, nothing sent).
 */
static void test_split_maps_segment_limit(void **state)
{
	(void)state;
	struct sim_lun *L = model_add_lun(0, 0, 0, 4096, 512);
	fill(L->data, 4096 * 512, 7);
	struct bring_up_opts fo = { .max_target = 0, .seg_max = 2 };
	assert_int_equal(bring_up(&fo), 0);
	host_glue_dma_split(4096);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	static uint8_t buf[8 * 4096] __attribute__((aligned(4096)));
	struct vscsi_sg sg[2] = { { buf + 2048, 4096 }, { buf + 4 * 4096 + 512, 4096 } };
	unsigned reads = model.reads;
	assert_int_equal(vscsi_blk_readv(d, 0, 16, sg, 2), 0);
	assert_int_equal(model.reads - reads, 2); /* 8 blocks each */
	assert_memory_equal(buf + 2048, L->data, 4096);
	assert_memory_equal(buf + 4 * 4096 + 512, L->data + 8 * 512, 4096);
	assert_int_equal(model.overruns, 0);
	assert_int_equal(model.sim.driver_errors, 0);
	assert_int_equal(host_glue_live_maps(), 0);
	tear_down();
}

/* --- a dead controller (item 11, the block part) ---------------------------------------- */

/*
 * A READ the device never answers, TMFs that do nothing and a reset that
 * never completes: the controller is declared dead and vscsi_blk_read
 * returns an error instead of waiting for ever; the buffer is not written
 * after the call returned (the device's DMA is off).  Later calls fail at
 * once.
 */
static void test_blk_dead_controller(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 4096, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	static uint8_t buf[4096];
	memset(buf, 0x11, sizeof(buf));
	model.hold_reads = true;
	model.ignore_abort = true;
	model.ignore_lun_reset = true;
	model.ignore_nexus_reset = true;
	model.sim.reset_stuck = true;
	int r = vscsi_blk_read(d, 0, 8, buf);
	assert_true(r == -VSCSI_ENODEV || r == -VSCSI_EIO);
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_true(ci.dead);
	/* The device answers late: nothing reaches the buffer. */
	model_complete_held(0xab);
	assert_true(all(buf, sizeof(buf), 0x11));
	/* And from now on, at once. */
	unsigned cmds = model.cmds;
	assert_int_equal(vscsi_blk_read(d, 0, 8, buf), -VSCSI_ENODEV);
	assert_int_equal(vscsi_blk_flush(d), -VSCSI_ENODEV);
	assert_int_equal(model.cmds, cmds);
	model.sim.reset_stuck = false;
	tear_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blk_roundtrip_split),
		cmocka_unit_test(test_blk_async_many),
		cmocka_unit_test(test_cdrom),
		cmocka_unit_test(test_fua_follows_dpofua),
		cmocka_unit_test(test_fua_sync_failure_fails_write),
		cmocka_unit_test(test_flush_all_and_on_remove),
		cmocka_unit_test(test_discard_unmap_granularity),
		cmocka_unit_test(test_discard_write_same),
		cmocka_unit_test(test_short_transfer_is_an_error),
		cmocka_unit_test(test_short_transfer_split_maps),
		cmocka_unit_test(test_seg_max_one_readv),
		cmocka_unit_test(test_split_maps_segment_limit),
		cmocka_unit_test(test_blk_dead_controller),
	};
	return vs_run_tests(tests, argc, argv);
}
