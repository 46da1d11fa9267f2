/*
 * test_adapter.c - the virtio-scsi host adapter (drv/virtio_scsi): the wire
 * layouts and the LUN field of virtio 1.2 §5.6.6.1, response codes and
 * response decoding (clamping of device-written lengths); then, against
 * the SCSI target model behind the simulated device: the configuration
 * writes of virtio 1.2 §5.6.4, task management and AN on the control queue
 * (virtio 1.2 §5.6.6.2), removal freeing everything, two controllers side by side;
 * how many request queues (the device's count, the caller's wish, the
 * fallback to one, freed with the sizes allocated); event buffers that
 * could not be posted again are posted from vscsi_poll.
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
#include "scsi/internal.h"
#include "virtio/virtqueue.h"
#include "virtio_scsi/internal.h"

/* --- wire layout and addressing (pure) ------------------------------------ */

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

/* --- responses (pure) -------------------------------------------------------- */

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
	assert_true(cmd.resid_invalid); /* ... and said to be no byte count */
	assert_int_equal(cmd.sense_len, 0);
	mk_resp(r, VSCSI_S_OK, 0, 0, 8);
	vs_decode_response(r, 96, 512, &cmd);
	assert_int_equal(cmd.resid, 8);
	assert_false(cmd.resid_invalid);

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

/* --- against the simulated device ---------------------------------------------- */

static void test_sizes_written_when_different(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .cdb_size = 16, .sense_size = 252, .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	/* The sim keeps what is written: both sizes now match ours. */
	assert_int_equal(model.sim.config_writes, 2);
	assert_int_equal(vs_le32(model.sim.config + VS_CFG_OFF(cdb_size)), 32);
	assert_int_equal(vs_le32(model.sim.config + VS_CFG_OFF(sense_size)), 96);
	assert_int_equal(model.bad_headers, 0);
	tear_down();
}

static void test_tmf(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	uint8_t resp = 0xee;
	assert_int_equal(vscsi_tmf(ctrl, 0, 0, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_FUNCTION_COMPLETE);
	assert_int_equal(model.last_tmf, VSCSI_TMF_LOGICAL_UNIT_RESET);
	assert_int_equal(vscsi_tmf(ctrl, 0, 0, VSCSI_TMF_CLEAR_ACA, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_FUNCTION_REJECTED);
	assert_int_equal(vscsi_tmf(ctrl, 0, 4, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_INCORRECT_LUN);
	assert_int_equal(vscsi_tmf(ctrl, 5, 0, VSCSI_TMF_I_T_NEXUS_RESET, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_BAD_TARGET);
	assert_int_equal(vscsi_tmf(ctrl, 0, 0, VSCSI_TMF_QUERY_TASK_SET, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_OK);
	uint32_t actual = 99;
	assert_int_equal(vscsi_an_query(ctrl, 0, 0, VSCSI_AN_MEDIA_CHANGE, &actual, &resp), 0);
	assert_int_equal(actual, 0);
	assert_int_equal(model.an_requests, 1);
	assert_int_equal(model.tmf_bad_size, 0);
	/* After the LUN reset the device reports 29/00 once: I/O still works. */
	uint8_t b[512];
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b), 0);
	tear_down();
}

static void test_remove_frees_everything(void **state)
{
	(void)state;
	long live = host_glue_live_allocs();
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	uint8_t b[512];
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_int_equal(vscsi_blk_read(d, 0, 1, b), 0);
	assert_int_equal(vscsi_sg_set_policy(d, VSCSI_SG_UNFILTERED), 0);
	tear_down();
	assert_int_equal(host_glue_live_allocs(), live);
	assert_null(vscsi_ctrl_next(NULL));
}

static void test_two_controllers(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	model_add_lun(1, 0, 5, 10, 2048);
	struct bring_up_opts fo = { .max_target = 1 };
	assert_int_equal(bring_up(&fo), 0);
	/* A second device with the same targets behind it. */
	static struct sim_dev s2;
	sim_init(&s2, 3, 64, VIRTIO_BIT(VIRTIO_SCSI_F_HOTPLUG), false);
	memcpy(s2.config, model.sim.config, sizeof(s2.config));
	s2.on_notify = model_on_notify;
	struct virtio_open_opts vo = { .intr = VIRTIO_INTR_POLL };
	struct virtio_device *dev;
	assert_int_equal(sim_open(&s2, &glue, &vo, &dev), 0);
	struct vscsi_opts o;
	vscsi_opts_default(&o);
	o.intr = VSCSI_INTR_POLL;
	struct vscsi_ctrl *c2;
	for (unsigned i = 0; i < MODEL_MAX_LUNS; i++) /* fresh power-on UA for the second one */
		if (model.lun[i].present)
			model.lun[i].ua = true;
	assert_int_equal(vs_probe_device(&glue, dev, &o, &c2), 0);
	assert_ptr_equal(vscsi_ctrl_by_host(1), c2);
	assert_ptr_equal(vscsi_ctrl_next(ctrl), c2);
	/* Names continue across controllers, in probe order. */
	const struct vscsi_lun_info *a = vscsi_lun_info(vscsi_lun_find("sdb"));
	assert_non_null(a);
	assert_int_equal(a->host, 1);
	assert_int_equal(vscsi_lun_info(vscsi_lun_find("sr1"))->host, 1);
	assert_int_equal(vscsi_lun_info(vscsi_lun_find("sda"))->host, 0);
	assert_non_null(vscsi_lun_find("1:0:1:0"));
	unsigned n = 0;
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l))
		n++;
	assert_int_equal(n, 4);
	uint8_t b[512];
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sdb"), 0, 1, b), 0);
	/* Removing the first frees its names; the second keeps its own. */
	vscsi_remove(ctrl);
	ctrl = NULL;
	assert_null(vscsi_lun_find("sda"));
	assert_non_null(vscsi_lun_find("sdb"));
	assert_ptr_equal(vscsi_ctrl_next(NULL), c2);
	assert_int_equal(vscsi_rescan_all(), 2);
	vscsi_remove(c2);
	sim_destroy(&s2);
	assert_int_equal(model.sim.driver_errors + s2.driver_errors, 0);
	tear_down();
}

/* --- request queues: how many (issue 9, item 14) ------------------------------------ */

static unsigned request_queues(void)
{
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	return ci.request_queues;
}

/* One READ on each request queue in use. */
static void read_on_every_queue(unsigned nq)
{
	uint8_t cdb[16], b[512];
	for (unsigned q = 0; q < nq; q++) {
		struct vscsi_sg sg = { b, 512 };
		struct vscsi_cmd cmd;
		memset(&cmd, 0, sizeof(cmd));
		cmd.cdb = cdb;
		cmd.cdb_len = (uint8_t)scsi_cdb_read10(cdb, 0, 1, false);
		cmd.dir = VSCSI_DATA_FROM_DEVICE;
		cmd.sg = &sg;
		cmd.sg_count = 1;
		cmd.queue = (uint16_t)q;
		assert_int_equal(vscsi_exec(ctrl, 0, 0, &cmd, VSCSI_EXEC_RETRY_UA), 0);
		assert_int_equal(cmd.queue_used, q);
	}
}

/* num_queues says 4 but the device has only 2 + 2 virtqueues: the driver
 * uses the 2 the device has (not one after a failed attempt with 4), and
 * frees what it allocated with the sizes it allocated. */
static void test_request_queues_clamped_to_device(void **state)
{
	(void)state;
	size_t bytes = host_glue_live_bytes();
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0, .num_queues = 4, .sim_queues = 4 };
	assert_int_equal(bring_up(&fo), 0);
	assert_int_equal(request_queues(), 2);
	assert_false(host_glue_log_contains("retrying with one"));
	read_on_every_queue(2);
	tear_down();
	assert_int_equal(host_glue_live_bytes(), bytes);
}

/* What the caller asks for, bounded by what the device has. */
static void test_request_queues_as_asked(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0, .num_queues = 4, .max_request_queues = 8 };
	assert_int_equal(bring_up(&fo), 0);
	assert_int_equal(request_queues(), 4);
	read_on_every_queue(4);
	tear_down();
	model_add_lun(0, 0, 0, 64, 512);
	fo.max_request_queues = 2;
	assert_int_equal(bring_up(&fo), 0);
	assert_int_equal(request_queues(), 2);
	read_on_every_queue(2);
	tear_down();
}

static void drop_queue_3(struct sim_dev *s)
{
	s->q[3].max_size = 0; /* counted by the device, but not there */
}

/* Several request queues cannot be set up: the driver falls back to one,
 * and the array it allocated for four is freed as four (the host glue
 * aborts on a size mismatch). */
static void test_request_queues_fallback_frees_right_size(void **state)
{
	(void)state;
	size_t bytes = host_glue_live_bytes();
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0, .num_queues = 4,
				    .before_probe = drop_queue_3 };
	assert_int_equal(bring_up(&fo), 0);
	assert_int_equal(request_queues(), 1);
	assert_true(host_glue_log_contains("retrying with one"));
	read_on_every_queue(1);
	tear_down();
	assert_int_equal(host_glue_live_bytes(), bytes);
}

/* --- event buffers that cannot be posted again (issue 9, item 17) -------------------- */

/* The event queue's ring refuses the next `refuse` additions, as a full
 * or faulty ring would. */
static unsigned refuse;
static const struct vq_ring_ops *real_ring;
static struct vq_ring_ops refusing_ring;

static int refusing_add(struct virtqueue *vq, const struct vq_chain *c)
{
	if (refuse) {
		refuse--;
		return -VSCSI_ENOSPC;
	}
	return real_ring->add(vq, c);
}

static void test_event_repost_retried_from_poll(void **state)
{
	(void)state;
	model_add_lun(0, 0, 0, 64, 512);
	struct bring_up_opts fo = { .max_target = 0 };
	assert_int_equal(bring_up(&fo), 0);
	assert_int_equal(model.nev, 8);
	struct virtqueue *evq = ctrl->adapter->evq.vq;
	real_ring = evq->ring;
	refusing_ring = *real_ring;
	refusing_ring.add = refusing_add;
	evq->ring = &refusing_ring;
	refuse = 2; /* when it comes back, and the retry in the same poll */
	host_glue_log_reset();
	assert_true(model_fire_event(VIRTIO_SCSI_T_PARAM_CHANGE, 0, 0, 0x092a));
	vscsi_poll(ctrl);
	assert_int_equal(model.nev, 7); /* the event came, its buffer could not go back */
	assert_true(host_glue_log_contains("cannot post event buffer"));
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.event_repost_failures, 1);
	assert_int_equal(ci.events, 1);
	/* The next poll posts it again: the queue is full again without a reset. */
	vscsi_poll(ctrl);
	assert_int_equal(model.nev, 8);
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.device_resets, 0);
	/* and it carries events again */
	assert_true(model_fire_event(VIRTIO_SCSI_T_PARAM_CHANGE, 0, 0, 0x092a));
	vscsi_poll(ctrl);
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.events, 2);
	assert_int_equal(model.nev, 8);
	evq->ring = real_ring;
	assert_int_equal(model.sim.driver_errors, 0);
	tear_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_layouts),
		cmocka_unit_test(test_lun_encode),
		cmocka_unit_test(test_lun_decode),
		cmocka_unit_test(test_response_mapping),
		cmocka_unit_test(test_decode_response),
		cmocka_unit_test(test_sizes_written_when_different),
		cmocka_unit_test(test_tmf),
		cmocka_unit_test(test_remove_frees_everything),
		cmocka_unit_test(test_two_controllers),
		cmocka_unit_test(test_request_queues_clamped_to_device),
		cmocka_unit_test(test_request_queues_as_asked),
		cmocka_unit_test(test_request_queues_fallback_frees_right_size),
		cmocka_unit_test(test_event_repost_retried_from_poll),
	};
	return vs_run_tests(tests, argc, argv);
}
