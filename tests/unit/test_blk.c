/*
 * test_blk.c - the block layer (drv/blk/disk.c, cdrom.c) against the SCSI
 * target model: requests split at the device's limits and joined, scatter
 * lists, requests refused before anything is sent, flush and discard,
 * many asynchronous requests on two queues, and a CD-ROM whose medium
 * goes, comes back and is ejected.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blk_roundtrip_split),
		cmocka_unit_test(test_blk_async_many),
		cmocka_unit_test(test_cdrom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
