/*
 * test_lun_ids.c - how LUNs are named and identified, and how a removable
 * medium is watched:
 *  - the generic names sg0.. (drv/scsi/lun.c): every LUN gets one, in
 *    scan order, the lowest free number first, whatever its type; the
 *    disk and CD names are independent of them and go past sdz, sdzz;
 *  - the persistent identifiers of udev (drv/scsi/ident.c), against the
 *    names systemd's scsi_id gives for the same VPD data;
 *  - the media event parser (MMC-6 §6.6, drv/scsi/parse.c);
 *  - the medium poll (drv/blk/cdrom.c) against the simulated target,
 *    which has no GET EVENT STATUS NOTIFICATION: the poll falls back to
 *    TEST UNIT READY and notices a medium removed (no unit attention) and
 *    put back (unit attention 28h).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "support/runner.h"

#include "blk/internal.h"
#include "sim/scsi_target.h"
#include "support/host_glue.h"

/* --- names --------------------------------------------------------------- */

static struct vscsi_lun *fake_lun(uint8_t type)
{
	struct vscsi_lun *l = calloc(1, sizeof(*l));
	l->name_index = -1;
	l->info.type = type;
	return l;
}

static void test_generic_names_every_lun(void **state)
{
	(void)state;
	struct vscsi_lun *a = fake_lun(SCSI_TYPE_DISK), *b = fake_lun(SCSI_TYPE_RAID),
			 *c = fake_lun(SCSI_TYPE_CDROM), *d = fake_lun(SCSI_TYPE_TAPE);
	vs_lun_assign_name(a);
	vs_lun_assign_name(b);
	vs_lun_assign_name(c);
	assert_string_equal(a->info.sg_name, "sg0");
	assert_string_equal(a->info.name, "sda");
	assert_string_equal(b->info.sg_name, "sg1");
	assert_string_equal(b->info.name, "");      /* no block device for a controller */
	assert_string_equal(c->info.sg_name, "sg2");
	assert_string_equal(c->info.name, "sr0");
	/* A number given back is the next one taken, as Linux's sg does. */
	vs_lun_release_name(b);
	assert_string_equal(b->info.sg_name, "");
	vs_lun_assign_name(d);
	assert_string_equal(d->info.sg_name, "sg1");
	assert_string_equal(d->info.name, "");
	vs_lun_assign_name(a); /* named already: nothing changes */
	assert_string_equal(a->info.sg_name, "sg0");
	struct vscsi_lun *all[] = { a, c, d };
	for (unsigned i = 0; i < 3; i++) {
		vs_lun_release_name(all[i]);
		free(all[i]);
	}
	free(b);
}

static void test_many_disk_names(void **state)
{
	(void)state;
	enum { N = 800 };
	struct vscsi_lun **v = calloc(N, sizeof(*v));
	for (unsigned i = 0; i < N; i++) {
		v[i] = fake_lun(SCSI_TYPE_DISK);
		vs_lun_assign_name(v[i]);
		char want[12];
		vs_disk_name(i, want, sizeof(want));
		assert_string_equal(v[i]->info.name, want);
	}
	assert_string_equal(v[25]->info.name, "sdz");
	assert_string_equal(v[26]->info.name, "sdaa");
	assert_string_equal(v[299]->info.name, "sdkn");
	assert_string_equal(v[701]->info.name, "sdzz");
	assert_string_equal(v[702]->info.name, "sdaaa");
	assert_string_equal(v[799]->info.sg_name, "sg799");
	for (unsigned i = 0; i < N; i++) {
		vs_lun_release_name(v[i]);
		free(v[i]);
	}
	free(v);
}

/* --- udev's identifiers --------------------------------------------------------- */

static void add_desig(struct vscsi_lun_info *i, uint8_t code_set, uint8_t type, uint8_t assoc,
		      const void *id, uint8_t len)
{
	struct vscsi_designator *d = &i->desig[i->n_desig++];
	d->code_set = code_set;
	d->type = type;
	d->association = assoc;
	d->len = len;
	memcpy(d->id, id, len);
}

static void qemu_disk(struct vscsi_lun_info *i, const char *model)
{
	memset(i, 0, sizeof(*i));
	strcpy(i->vendor, "QEMU");
	strcpy(i->model, model);
	i->vpd_pages[0] = 0x00;
	i->vpd_pages[1] = 0x80;
	i->vpd_pages[2] = 0x83;
	i->n_vpd_pages = 3;
}

static void ids(const struct vscsi_lun_info *i, char *serial, char *wwn)
{
	vscsi_lun_udev_ids(i, serial, VSCSI_UDEV_ID_MAX, wwn, VSCSI_UDEV_ID_MAX);
}

static void test_udev_ids(void **state)
{
	(void)state;
	struct vscsi_lun_info i;
	char serial[VSCSI_UDEV_ID_MAX], wwn[VSCSI_UDEV_ID_MAX];
	const uint8_t naa5[8] = { 0x50, 0x00, 0xc5, 0x00, 0x15, 0xea, 0x71, 0xac };

	/* QEMU, serial and wwn: the NAA designator wins over the
	 * vendor-specific one that comes first in the page. */
	qemu_disk(&i, "QEMU HARDDISK");
	add_desig(&i, 2, 0, 0, "SER0", 4);
	add_desig(&i, 1, 3, 0, naa5, 8);
	ids(&i, serial, wwn);
	assert_string_equal(serial, "35000c50015ea71ac");
	assert_string_equal(wwn, "0x5000c50015ea71ac");

	/* Serial only: vendor specific, behind vendor and product. */
	qemu_disk(&i, "QEMU HARDDISK");
	add_desig(&i, 2, 0, 0, "ONLY SERIAL", 11);
	strcpy(i.serial, "ONLY SERIAL");
	ids(&i, serial, wwn);
	assert_string_equal(serial, "0QEMU_QEMU_HARDDISK_ONLY_SERIAL");
	assert_string_equal(wwn, "");

	/* No designator, a VPD 80h serial: "S". */
	qemu_disk(&i, "QEMU HARDDISK");
	strcpy(i.serial, "NODEVID");
	ids(&i, serial, wwn);
	assert_string_equal(serial, "SQEMU_QEMU_HARDDISK_NODEVID");
	/* ... but only when VPD 00h lists 80h. */
	i.n_vpd_pages = 1;
	ids(&i, serial, wwn);
	assert_string_equal(serial, "");

	/* An 8-character vendor runs into the product, as in the INQUIRY
	 * data scsi_id copies. */
	qemu_disk(&i, "SG NODE DISK");
	strcpy(i.vendor, "VSCSIVND");
	add_desig(&i, 2, 0, 0, "x", 1);
	ids(&i, serial, NULL);
	assert_string_equal(serial, "0VSCSIVNDSG_NODE_DISK_x");

	/* NAA 6 with its extension: 16 more digits in the wwn- name. */
	const uint8_t naa6[16] = { 0x60, 0x01, 0x40, 0x50, 0x12, 0x34, 0x56, 0x78,
				   0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x02, 0x03, 0x04 };
	qemu_disk(&i, "X");
	add_desig(&i, 1, 3, 0, naa5, 8);
	add_desig(&i, 1, 3, 0, naa6, 16);
	ids(&i, serial, wwn);
	assert_string_equal(serial, "360014050123456789abcdef001020304");
	assert_string_equal(wwn, "0x60014050123456789abcdef001020304");

	/* EUI-64 beats T10 vendor id; a target-port NAA (association 1) and a
	 * SCSI name string (UTF-8) never count. */
	const uint8_t eui[8] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };
	qemu_disk(&i, "X");
	add_desig(&i, 1, 3, 1, naa5, 8);
	add_desig(&i, 3, 8, 0, "naa.5000", 8);
	add_desig(&i, 2, 1, 0, "IET     VIRTUAL-DISK beaf11", 27);
	add_desig(&i, 1, 2, 0, eui, 8);
	ids(&i, serial, wwn);
	assert_string_equal(serial, "20011223344556677");
	assert_string_equal(wwn, "");
	i.n_desig = 3; /* without the EUI-64: the T10 vendor id, blanks squeezed */
	ids(&i, serial, wwn);
	assert_string_equal(serial, "1IET_VIRTUAL-DISK_beaf11");
	i.n_desig = 2; /* only what udev ignores ... */
	ids(&i, serial, wwn);
	assert_string_equal(serial, "SQEMU_X"); /* ... so VPD 80h, even empty */
	i.vpd_pages[1] = 0xb0;                  /* and without VPD 80h: nothing */
	ids(&i, serial, wwn);
	assert_string_equal(serial, "");

	/* Characters udev does not put in a link name become '_'; valid
	 * UTF-8 stays. */
	qemu_disk(&i, "QEMU HARDDISK");
	add_desig(&i, 2, 0, 0, "a/b*c\xc3\xa9\xff", 9);
	ids(&i, serial, NULL);
	assert_string_equal(serial, "0QEMU_QEMU_HARDDISK_a_b_c\xc3\xa9_");

	/* VPD 83h not listed: its designators are not looked at (the VPD
	 * 80h page, listed, names the device even with an empty serial). */
	qemu_disk(&i, "QEMU HARDDISK");
	add_desig(&i, 1, 3, 0, naa5, 8);
	i.vpd_pages[2] = 0xb0;
	ids(&i, serial, wwn);
	assert_string_equal(serial, "SQEMU_QEMU_HARDDISK");
	assert_string_equal(wwn, "");

	/* Small buffers are cut, always terminated. */
	qemu_disk(&i, "QEMU HARDDISK");
	add_desig(&i, 1, 3, 0, naa5, 8);
	char small[6], wsmall[5];
	vscsi_lun_udev_ids(&i, small, sizeof(small), wsmall, sizeof(wsmall));
	assert_string_equal(small, "35000");
	assert_string_equal(wsmall, "0x50");
	vscsi_lun_udev_ids(NULL, small, sizeof(small), NULL, 0);
	assert_string_equal(small, "");
}

/* --- GET EVENT STATUS NOTIFICATION ------------------------------------------------ */

static void test_media_event_parse(void **state)
{
	(void)state;
	struct vs_media_event ev;
	/* QEMU after blockdev-change-medium: NEW MEDIA, medium present. */
	uint8_t new_media[8] = { 0, 6, 0x04, 0x10, 0x02, 0x02, 0, 0 };
	assert_int_equal(vs_parse_media_event(new_media, 8, &ev), 0);
	assert_int_equal(ev.event, VS_MEDIA_EVENT_NEW_MEDIA);
	assert_true(ev.present);
	assert_false(ev.tray_open);
	/* Tray open, nothing to report. */
	uint8_t open_tray[8] = { 0, 6, 0x04, 0x10, 0x00, 0x01, 0, 0 };
	assert_int_equal(vs_parse_media_event(open_tray, 8, &ev), 0);
	assert_int_equal(ev.event, VS_MEDIA_EVENT_NONE);
	assert_false(ev.present);
	assert_true(ev.tray_open);
	/* NEA: no event of the class asked for. */
	uint8_t nea[4] = { 0, 2, 0x80, 0x10 };
	assert_int_equal(vs_parse_media_event(nea, 4, &ev), -VSCSI_ENOENT);
	/* Another class, a length that cuts the descriptor, or too little
	 * data received: not a media event. */
	uint8_t other[8] = { 0, 6, 0x02, 0x10, 0x02, 0x02, 0, 0 };
	assert_int_equal(vs_parse_media_event(other, 8, &ev), -VSCSI_EIO);
	uint8_t cut[8] = { 0, 3, 0x04, 0x10, 0x02, 0x02, 0, 0 };
	assert_int_equal(vs_parse_media_event(cut, 8, &ev), -VSCSI_EIO);
	assert_int_equal(vs_parse_media_event(new_media, 6, &ev), -VSCSI_EIO);
	assert_int_equal(vs_parse_media_event(new_media, 3, &ev), -VSCSI_EIO);
}

/* --- the medium poll ---------------------------------------------------------------- */

/* Poll as an idle loop does until `done` says so, at most `ms`. */
static bool poll_until(struct vscsi_lun *cd, bool medium, unsigned ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		vscsi_poll_all();
		vscsi_blk_media_poll();
		if (vscsi_lun_info(cd)->medium == medium)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > (long)ms)
			return false;
		struct timespec nap = { 0, 1000000 };
		nanosleep(&nap, NULL);
	}
}

static void test_medium_poll_without_event_status(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct sim_lun *cd = model_add_lun(1, 0, 5, 100, 2048);
	assert_int_equal(bring_up(NULL), 0);
	struct vscsi_lun *sr0 = vscsi_lun_find("sr0");
	assert_non_null(sr0);
	assert_true(vscsi_lun_info(sr0)->medium);
	assert_int_equal(vscsi_lun_info(sr0)->blocks, 100);
	unsigned before = model.cmds;

	/* Nothing changes for a while: the first GET EVENT STATUS
	 * NOTIFICATION is refused (ILLEGAL REQUEST) and the poll falls back
	 * to TEST UNIT READY. */
	assert_false(poll_until(sr0, false, 1500));
	assert_true(vs_blk_state(sr0)->media.use_tur);

	/* The host takes the medium away, raising no unit attention: only
	 * the poll sees it (NOT READY, medium not present). */
	cd->medium = false;
	assert_true(poll_until(sr0, false, 5000));
	/* ... and puts a bigger one in. */
	cd->medium = true;
	cd->blocks = 300;
	cd->ua = true;
	cd->ua_asc = 0x28;
	assert_true(poll_until(sr0, true, 5000));
	assert_int_equal(vscsi_lun_info(sr0)->blocks, 300);

	/* A handful of commands a second, not a storm; the disk is never
	 * polled (not removable). */
	unsigned polls = model.cmds - before;
	assert_true(polls < 40);
	assert_int_equal(model.sim.driver_errors, 0);
	assert_int_equal(model.bad_headers, 0);
	tear_down();
}

/* The generic nodes with the simulator: a LUN of type 0Ch (a storage
 * array controller) has no block name but a generic one, found by name
 * and reachable with SG_IO. */
static void test_generic_lun_reachable(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	model_add_lun(1, 0, SCSI_TYPE_RAID, 0, 512);
	model_add_lun(2, 0, 5, 100, 2048);
	assert_int_equal(bring_up(NULL), 0);
	struct vscsi_lun *ctl = vscsi_lun_find("sg1");
	assert_non_null(ctl);
	assert_int_equal(vscsi_lun_info(ctl)->type, SCSI_TYPE_RAID);
	assert_string_equal(vscsi_lun_info(ctl)->name, "");
	assert_ptr_equal(vscsi_lun_find("sg0"), vscsi_lun_find("sda"));
	assert_ptr_equal(vscsi_lun_find("sg2"), vscsi_lun_find("sr0"));
	assert_null(vscsi_lun_find("sg3"));
	assert_null(vscsi_lun_find("sg"));

	uint8_t cdb[6] = { 0x12, 0, 0, 0, 36, 0 }, data[36], sense[32];
	struct sg_io_hdr h;
	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	h.cmd_len = 6;
	h.cmdp = cdb;
	h.dxfer_len = sizeof(data);
	h.dxferp = data;
	h.mx_sb_len = sizeof(sense);
	h.sbp = sense;
	assert_int_equal(vscsi_sg_io(ctl, &h, false), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(data[0] & 0x1f, SCSI_TYPE_RAID);
	/* The filter is the LUN's, whichever name it is reached by. */
	assert_int_equal(vscsi_sg_filter_add(vscsi_lun_find("sg1"), 0x12, VSCSI_SG_ANY_SA, false), 0);
	assert_int_equal(vscsi_sg_io(ctl, &h, false), -VSCSI_EPERM);
	tear_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generic_names_every_lun),
		cmocka_unit_test(test_many_disk_names),
		cmocka_unit_test(test_udev_ids),
		cmocka_unit_test(test_media_event_parse),
		cmocka_unit_test(test_medium_poll_without_event_status),
		cmocka_unit_test(test_generic_lun_reachable),
	};
	return vs_run_tests(tests, argc, argv);
}
