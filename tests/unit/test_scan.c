/*
 * test_scan.c - finding and describing LUNs (drv/scsi/scan.c, lun.c) and
 * acting on events (drv/scsi/events.c), against the SCSI target model:
 * bring-up and the first scan (names, INQUIRY and VPD data, capacity,
 * limits), the sequential scan when REPORT LUNS is refused, hot-plug,
 * unplug, capacity change and EVENTS_MISSED (virtio 1.2 §5.6.6.3); a rescan
 * that meets a transient failure keeps the LUNs it knows.
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

/* --- tests ------------------------------------------------------------------- */

static void test_bring_up_and_scan(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 2048, 512);
	model_add_lun(1, 0, 0, 1024, 4096);
	struct sim_lun *cd = model_add_lun(2, 0, 5, 1000, 2048);
	cd->medium = false;
	model_add_lun(3, 5, 0, 100, 512);     /* LUN 0 missing: REPORT LUNS still lists it */
	model_add_lun(7, 300, 0, 100, 512);   /* flat LUN, last target (inclusive) */
	assert_int_equal(bring_up(NULL), 0);

	assert_int_equal(model.sim.driver_errors, 0);
	assert_int_equal(model.bad_headers, 0);
	assert_int_equal(model.dup_tags, 0);
	assert_int_equal(model.sim.config_writes, 0); /* 32/96 already: nothing written */
	assert_int_equal(model.nev, 8);               /* 8 event buffers posted */
	assert_true(model.sim.status & VIRTIO_STATUS_DRIVER_OK);

	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.request_queues, 1);
	assert_int_equal(ci.cdb_size, 32);
	assert_int_equal(ci.sense_size, 96);
	assert_int_equal(ci.max_target, 7);
	assert_true(ci.features & VIRTIO_BIT(VIRTIO_SCSI_F_HOTPLUG));

	const char *want[] = { "sda", "sdb", "sr0", "sdc", "sdd" };
	unsigned wt[] = { 0, 1, 2, 3, 7 }, wl[] = { 0, 0, 0, 5, 300 };
	unsigned n = 0;
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l), n++) {
		const struct vscsi_lun_info *i = vscsi_lun_info(l);
		assert_true(n < 5);
		assert_string_equal(i->name, want[n]);
		assert_int_equal(i->target, wt[n]);
		assert_int_equal(i->lun, wl[n]);
		assert_string_equal(i->vendor, "QEMU");
	}
	assert_int_equal(n, 5);

	const struct vscsi_lun_info *a = vscsi_lun_info(vscsi_lun_find("sda"));
	assert_int_equal(a->blocks, 2048);
	assert_int_equal(a->block_size, 512);
	assert_true(a->ready);
	assert_string_equal(a->serial, "SER0");
	assert_string_equal(a->wwn, "0x5000000000000000");
	assert_int_equal(a->max_transfer_bytes, 64 * 512); /* VPD B0 limit */
	assert_true(a->unmap_supported);
	assert_true(a->lbpme);
	const struct vscsi_lun_info *b = vscsi_lun_info(vscsi_lun_find("sdb"));
	assert_int_equal(b->block_size, 4096);
	const struct vscsi_lun_info *r = vscsi_lun_info(vscsi_lun_find("sr0"));
	assert_false(r->medium);
	assert_true(r->removable);
	assert_true(r->read_only);
	assert_null(vscsi_lun_find("sde"));
	assert_non_null(vscsi_lun_find("0:0:7:300"));
	assert_null(vscsi_lun_find("0:0:3:0"));

	/* The raw helpers. */
	uint8_t inq[96];
	uint32_t got;
	assert_int_equal(vscsi_inquiry(ctrl, 0, 0, false, 0, inq, sizeof(inq), &got), 0);
	assert_int_equal(got, 36);
	uint64_t blocks;
	uint32_t bs;
	assert_int_equal(vscsi_read_capacity(ctrl, 1, 0, &blocks, &bs), 0);
	assert_int_equal(blocks, 1024);
	assert_int_equal(bs, 4096);
	assert_int_equal(vscsi_read_capacity(ctrl, 5, 0, &blocks, &bs), -VSCSI_ENXIO);
	tear_down();
}

static void test_report_luns_refused_sequential(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	model_add_lun(0, 3, 0, 64, 512);
	model_add_lun(0, 9, 0, 64, 512); /* beyond the sequential bound (8) */
	model.no_report_luns = true;
	struct bring_up_opts fo = { .max_target = 1 };
	assert_int_equal(bring_up(&fo), 0);
	assert_non_null(vscsi_lun_find("0:0:0:0"));
	assert_non_null(vscsi_lun_find("0:0:0:3"));
	assert_null(vscsi_lun_find("0:0:0:9"));
	tear_down();
}

static unsigned changes[4];

static void on_change(struct vscsi_lun *l, enum vscsi_change what, void *arg)
{
	(void)l;
	(void)arg;
	changes[what]++;
}

static void test_events_hotplug(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 3 };
	memset(changes, 0, sizeof(changes));
	vscsi_set_change_callback(on_change, NULL);
	assert_int_equal(bring_up(&fo), 0);
	assert_int_equal(changes[VSCSI_CHANGE_ADDED], 1);

	/* Hot-plug 1:0 (RESCAN of LUN 0: the whole target). */
	model_add_lun(1, 0, 0, 128, 512);
	assert_true(model_fire_event(VIRTIO_SCSI_T_TRANSPORT_RESET, 1, 0, VIRTIO_SCSI_EVT_RESET_RESCAN));
	vscsi_poll(ctrl);
	assert_non_null(vscsi_lun_find("sdb"));
	assert_int_equal(model.nev, 8); /* re-posted */
	/* Hot-plug 1:2 (a single LUN). */
	model_add_lun(1, 2, 0, 16, 512);
	assert_true(model_fire_event(VIRTIO_SCSI_T_TRANSPORT_RESET, 1, 2, VIRTIO_SCSI_EVT_RESET_RESCAN));
	vscsi_poll(ctrl);
	assert_non_null(vscsi_lun_find("0:0:1:2"));
	/* Capacity change. */
	struct sim_lun *L = model_find_lun(0, 0);
	L->blocks = 32;
	L->ua = true;
	L->ua_asc = 0x2a;
	L->ua_ascq = 0x09;
	assert_true(model_fire_event(VIRTIO_SCSI_T_PARAM_CHANGE, 0, 0, 0x092a));
	vscsi_poll(ctrl);
	assert_int_equal(vscsi_lun_info(vscsi_lun_find("sda"))->blocks, 32);
	assert_int_equal(changes[VSCSI_CHANGE_RESIZED], 1);
	/* Unplug 1:2. */
	model_find_lun(1, 2)->present = false;
	struct vscsi_lun *gone = vscsi_lun_find("0:0:1:2");
	assert_true(model_fire_event(VIRTIO_SCSI_T_TRANSPORT_RESET, 1, 2, VIRTIO_SCSI_EVT_RESET_REMOVED));
	vscsi_poll(ctrl);
	assert_null(vscsi_lun_find("0:0:1:2"));
	assert_true(vscsi_lun_info(gone)->gone); /* the pointer stays valid */
	uint8_t b[512];
	assert_int_equal(vscsi_blk_read(gone, 0, 1, b), -VSCSI_ENODEV);
	/* Events missed: full rescan finds a silent plug and a silent unplug. */
	model_add_lun(2, 0, 0, 16, 512);
	model_find_lun(1, 0)->present = false;
	assert_true(model_fire_event(VIRTIO_SCSI_T_EVENTS_MISSED, 0, 0, 0));
	vscsi_poll(ctrl);
	assert_non_null(vscsi_lun_find("0:0:2:0"));
	assert_null(vscsi_lun_find("0:0:1:0"));
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.events, 5);
	assert_int_equal(ci.events_missed, 1);
	struct vscsi_event hist[8];
	assert_int_equal(vscsi_event_history(ctrl, hist, 8), 5);
	assert_true(hist[4].missed);
	assert_int_equal(hist[0].target, 1);
	vscsi_set_change_callback(NULL, NULL);
	tear_down();
}

static bool present(const char *name)
{
	struct vscsi_lun *l = vscsi_lun_find(name);
	return l && !vscsi_lun_info(l)->gone;
}

/* An EVENTS_MISSED rescan during which REPORT LUNS fails transiently
 * (BUSY, RESET, a transport failure, a timeout) keeps the known LUNs of
 * the target, LUN 300 included, and they stay reachable; only definite
 * answers remove LUNs: a good REPORT LUNS list without it, or BAD_TARGET. */
static void test_rescan_keeps_luns_on_transient_failure(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	model_add_lun(0, 300, 0, 64, 512);
	model_add_lun(0, 3, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0, .cmd_timeout_ms = 100 };
	assert_int_equal(bring_up(&fo), 0);
	assert_true(present("0:0:0:300"));
	uint8_t b[512];
	const uint8_t transient[] = { VSCSI_S_BUSY, VSCSI_S_RESET, VSCSI_S_TRANSPORT_FAILURE,
				      VSCSI_S_TARGET_FAILURE };
	for (unsigned i = 0; i <= sizeof(transient); i++) {
		host_glue_log_reset();
		if (i < sizeof(transient))
			model.report_luns_response = transient[i];
		else
			model.hold_report_luns = true; /* times out */
		unsigned before = model.report_luns;
		assert_true(model_fire_event(VIRTIO_SCSI_T_EVENTS_MISSED, 0, 0, 0));
		vscsi_poll(ctrl);
		assert_true(model.report_luns > before);
		assert_true(present("0:0:0:300"));
		assert_true(present("0:0:0:3"));
		assert_true(present("0:0:0:0"));
		assert_true(host_glue_log_contains("keeping"));
		model.report_luns_response = 0;
		model.hold_report_luns = false;
		assert_int_equal(vscsi_blk_read(vscsi_lun_find("0:0:0:300"), 0, 1, b), 0);
	}
	/* REPORT LUNS refused (ILLEGAL REQUEST): the sequential probe of LUNs
	 * 0..7 answers for those only: LUN 3 is gone, LUN 300 is beyond it. */
	model_find_lun(0, 3)->present = false;
	model.no_report_luns = true;
	assert_true(model_fire_event(VIRTIO_SCSI_T_EVENTS_MISSED, 0, 0, 0));
	vscsi_poll(ctrl);
	assert_false(present("0:0:0:3"));
	assert_true(present("0:0:0:300"));
	model.no_report_luns = false;
	/* A good list without LUN 300: it is gone. */
	model_find_lun(0, 300)->present = false;
	assert_true(model_fire_event(VIRTIO_SCSI_T_EVENTS_MISSED, 0, 0, 0));
	vscsi_poll(ctrl);
	assert_false(present("0:0:0:300"));
	assert_true(present("0:0:0:0"));
	/* BAD_TARGET: the whole target is gone. */
	model_find_lun(0, 0)->present = false;
	assert_true(model_fire_event(VIRTIO_SCSI_T_EVENTS_MISSED, 0, 0, 0));
	vscsi_poll(ctrl);
	assert_false(present("0:0:0:0"));
	assert_int_equal(model.sim.driver_errors, 0);
	tear_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bring_up_and_scan),
		cmocka_unit_test(test_report_luns_refused_sequential),
		cmocka_unit_test(test_events_hotplug),
		cmocka_unit_test(test_rescan_keeps_luns_on_transient_failure),
	};
	return vs_run_tests(tests, argc, argv);
}
