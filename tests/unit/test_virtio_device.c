/*
 * test_virtio_device.c - device.c and irq.c against the simulated device's
 * transport: the initialisation sequence of virtio 1.2 §3.1.1, feature
 * negotiation (refusal, FEATURES_OK not sticking, VERSION_1, legacy),
 * queue sizing, config generation, NEEDS_RESET and recovery, and the
 * interrupt modes with their fallbacks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "support/runner.h"
#include <stdlib.h>
#include <string.h>

#include "sim/virtio_sim.h"
#include "support/host_glue.h"
#include "virtio/virtio.h"
#include "vscsi/errors.h"

#define BIT VIRTIO_BIT
#define IND BIT(VIRTIO_F_INDIRECT_DESC)
#define EVI BIT(VIRTIO_F_EVENT_IDX)
#define V1 BIT(VIRTIO_F_VERSION_1)

static struct vscsi_glue g;
static struct sim_dev sim;
static struct virtio_device *dev;
static long allocs_before;

static int setup(void **state)
{
	(void)state;
	allocs_before = host_glue_live_allocs();
	host_glue_init(&g);
	dev = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (dev)
		virtio_close(dev);
	dev = NULL;
	sim_destroy(&sim);
	assert_int_equal(host_glue_live_allocs(), allocs_before);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static struct sim_chain chain;

/* One request through queue q: add, kick, device completes, get. */
static void roundtrip(unsigned q, uint32_t len)
{
	struct virtqueue *vq = virtio_queue(dev, q);
	struct virtq_buf out = { 0x1000, 16 }, in = { 0x2000, 64 };
	int cookie;
	assert_int_equal(virtq_add(vq, &out, 1, &in, 1, &cookie), 0);
	virtq_kick(vq);
	assert_int_equal(sim_fetch(&sim, q, &chain), 1);
	sim_complete(&sim, q, chain.id, len);
	void *ck;
	uint32_t l;
	assert_int_equal(virtq_get(vq, &ck, &l), 1);
	assert_ptr_equal(ck, &cookie);
	assert_int_equal(l, len);
}

/* --- negotiation ---------------------------------------------------------- */

static void test_init_sequence_and_features(void **state)
{
	(void)state;
	uint64_t offered = IND | EVI | BIT(VIRTIO_F_NOTIFY_ON_EMPTY) | BIT(30) |
			   BIT(VIRTIO_F_IN_ORDER) | BIT(VIRTIO_F_NOTIFICATION_DATA) |
			   BIT(VIRTIO_F_RING_RESET) | BIT(41) | BIT(45) | BIT(0) | BIT(1) |
			   BIT(2) | BIT(3) | BIT(55);
	sim_init(&sim, 3, 128, offered, false);
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	/* wanted: two device bits, one not offered, and transport bits the
	 * layer does not implement (ignored) */
	uint64_t wanted = BIT(1) | BIT(2) | BIT(5) | BIT(55) | BIT(VIRTIO_F_IN_ORDER) | BIT(41);
	assert_int_equal(virtio_negotiate(dev, wanted), 0);
	assert_int_equal(virtio_offered_features(dev), offered | V1);
	assert_int_equal(virtio_features(dev), V1 | IND | EVI | BIT(1) | BIT(2) | BIT(55));
	assert_true(virtio_has(dev, VIRTIO_F_EVENT_IDX));
	assert_false(virtio_has(dev, 30));
	struct virtq_request req[3] = { { 0 } };
	assert_int_equal(virtio_queues_create(dev, 3, req), 0);
	assert_int_equal(virtio_queue_count(dev), 3);
	virtio_driver_ok(dev);
	/* virtio 1.2 §3.1.1: reset, ACK, DRIVER, FEATURES_OK, DRIVER_OK; never a bit cleared */
	static const uint8_t expect[] = { 0, 1, 3, 11, 15 };
	assert_int_equal(sim.nstatus_log, sizeof(expect));
	assert_memory_equal(sim.status_log, expect, sizeof(expect));
	assert_int_equal(virtio_status(dev), 15);
	assert_int_equal(virtio_device_id(dev), 8);
	assert_string_equal(virtio_transport_name(dev), "sim");
	assert_int_equal(virtio_transport(dev), VIRTIO_TRANSPORT_PCI_MODERN);
	for (unsigned q = 0; q < 3; q++)
		roundtrip(q, 7);
	assert_int_equal(sim.driver_errors, 0);
}

static void test_features_refused(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, IND, false);
	sim.refuse_features = true;
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, 0), -VSCSI_EIO);
	assert_true(host_glue_log_contains("device refused features 0x"));
	assert_true(virtio_status(dev) & VIRTIO_STATUS_FAILED);
	assert_false(virtio_status(dev) & VIRTIO_STATUS_FEATURES_OK);
	struct virtq_request req = { 0 };
	assert_int_equal(virtio_queues_create(dev, 1, &req), -VSCSI_EINVAL);
	assert_int_equal(sim.driver_errors, 0);
}

static void test_access_platform_accepted(void **state)
{
	(void)state;
	/* QEMU with iommu_platform=on refuses FEATURES_OK without it */
	sim_init(&sim, 1, 16, BIT(VIRTIO_F_ACCESS_PLATFORM), false);
	sim.required_features = BIT(VIRTIO_F_ACCESS_PLATFORM);
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, 0), 0);
	assert_true(virtio_has(dev, VIRTIO_F_ACCESS_PLATFORM));
	assert_int_equal(sim.driver_errors, 0);
}

static void test_access_platform_vetoed_is_refused(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, BIT(VIRTIO_F_ACCESS_PLATFORM), false);
	sim.required_features = BIT(VIRTIO_F_ACCESS_PLATFORM);
	struct virtio_open_opts opts = { .feature_veto = BIT(VIRTIO_F_ACCESS_PLATFORM) };
	assert_int_equal(sim_open(&sim, &g, &opts, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, 0), -VSCSI_EIO);
	assert_true(host_glue_log_contains("vetoed"));
	assert_true(host_glue_log_contains("device refused features 0x100000000"));
}

static void test_veto(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, IND | EVI | BIT(1), false);
	struct virtio_open_opts opts = { .feature_veto = EVI | BIT(1) };
	assert_int_equal(sim_open(&sim, &g, &opts, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, BIT(1)), 0);
	assert_int_equal(virtio_features(dev), V1 | IND);
}

static void test_modern_requires_version_1(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, IND, false);
	sim.offered &= ~V1;
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, 0), -VSCSI_EIO);
	assert_true(host_glue_log_contains("VERSION_1"));
	assert_true(virtio_status(dev) & VIRTIO_STATUS_FAILED);
}

static void test_legacy_sequence(void **state)
{
	(void)state;
	uint64_t offered = BIT(VIRTIO_F_ANY_LAYOUT) | IND | EVI | BIT(30) | BIT(1) | BIT(24);
	sim_init(&sim, 2, 64, offered, true);
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, BIT(1) | BIT(2)), 0);
	assert_int_equal(virtio_features(dev), BIT(VIRTIO_F_ANY_LAYOUT) | IND | EVI | BIT(1));
	/* the legacy queue size cannot shrink: the request is overruled */
	struct virtq_request req[2] = { { .max_size = 8 }, { .max_size = 0 } };
	assert_int_equal(virtio_queues_create(dev, 2, req), 0);
	assert_int_equal(virtq_size(virtio_queue(dev, 0)), 64);
	virtio_driver_ok(dev);
	static const uint8_t expect[] = { 0, 1, 3, 7 }; /* no FEATURES_OK */
	assert_int_equal(sim.nstatus_log, sizeof(expect));
	assert_memory_equal(sim.status_log, expect, sizeof(expect));
	roundtrip(1, 3);
	assert_int_equal(sim.driver_errors, 0);
}

static void test_legacy_queue_not_power_of_two(void **state)
{
	(void)state;
	sim_init(&sim, 1, 100, 0, true);
	struct virtq_request req = { 0 };
	assert_int_equal(sim_start(&sim, &g, NULL, 0, 1, &req, &dev), -VSCSI_EPROTO);
	assert_true(host_glue_log_contains("not a power of 2"));
	dev = NULL; /* sim_start closed it */
}

/* --- queues --------------------------------------------------------------------- */

static void test_queue_sizes(void **state)
{
	(void)state;
	sim_init(&sim, 3, 256, IND, false);
	struct virtq_request req[3] = { { .max_size = 100 }, { .max_size = 0 }, { .max_size = 1000 } };
	assert_int_equal(sim_start(&sim, &g, NULL, 0, 3, req, &dev), 0);
	assert_int_equal(virtq_size(virtio_queue(dev, 0)), 64); /* split: power of 2 */
	assert_int_equal(virtq_size(virtio_queue(dev, 1)), 256);
	assert_int_equal(virtq_size(virtio_queue(dev, 2)), 256);
	assert_null(virtio_queue(dev, 3));
	assert_int_equal(sim.driver_errors, 0);
}

static void test_missing_queue(void **state)
{
	(void)state;
	sim_init(&sim, 2, 16, 0, false);
	struct virtq_request req[3] = { { 0 } };
	assert_int_equal(sim_start(&sim, &g, NULL, 0, 3, req, &dev), -VSCSI_ENODEV);
	dev = NULL;
	/* the same without a queue count: the absent queue is seen by size 0 */
	sim_destroy(&sim);
	sim_init(&sim, 2, 16, 0, false);
	sim.report_queue_count = false;
	assert_int_equal(sim_start(&sim, &g, NULL, 0, 3, req, &dev), -VSCSI_ENODEV);
	assert_true(host_glue_log_contains("queue 2 does not exist"));
	dev = NULL;
}

static void test_retry_with_fewer_queues(void **state)
{
	(void)state;
	sim_init(&sim, 3, 16, IND, false);
	sim.report_queue_count = false; /* queues 0-2 are built before 3 is found absent */
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, 0), 0);
	struct virtq_request req[4] = { { .indirect_max = 1 }, { 0 }, { .indirect_max = 4 }, { 0 } };
	assert_int_equal(virtio_queues_create(dev, 4, req), -VSCSI_ENODEV);
	assert_false(virtio_status(dev) & VIRTIO_STATUS_FAILED);
	assert_int_equal(virtio_queues_create(dev, 3, req), 0);
	virtio_driver_ok(dev);
	assert_int_equal(virtq_indirect_max(virtio_queue(dev, 0)), 0);
	assert_int_equal(virtq_indirect_max(virtio_queue(dev, 1)), 16); /* default, capped */
	assert_int_equal(virtq_indirect_max(virtio_queue(dev, 2)), 4);
	roundtrip(2, 1);
	assert_int_equal(virtio_status(dev), 15);
	assert_int_equal(sim.driver_errors, 0);
}

static void test_out_of_memory(void **state)
{
	(void)state;
	for (unsigned skip = 0; skip < 12; skip++) {
		sim_init(&sim, 2, 64, IND, false);
		assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
		assert_int_equal(virtio_negotiate(dev, 0), 0);
		struct virtq_request req[2] = { { 0 } };
		struct virtio_device *d = dev;
		/* let `skip` allocations through, then fail one */
		host_glue_fail_after(skip, 1);
		int rc = virtio_queues_create(d, 2, req);
		host_glue_fail_after(0, 0);
		if (rc == 0) {
			/* indirect tables shrink instead of failing: still works */
			virtio_driver_ok(d);
			roundtrip(0, 1);
		} else {
			assert_int_equal(rc, -VSCSI_ENOMEM);
		}
		virtio_close(d);
		dev = NULL;
		sim_destroy(&sim);
		assert_int_equal(sim.driver_errors, 0);
	}
}

static void test_kick_before_driver_ok_is_deferred(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, EVI, false);
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, 0), 0);
	struct virtq_request req = { 0 };
	assert_int_equal(virtio_queues_create(dev, 1, &req), 0);
	struct virtqueue *vq = virtio_queue(dev, 0);
	struct virtq_buf in = { 0x3000, 16 };
	int cookie;
	/* virtio 1.2 §3.1.1: buffers may be posted before DRIVER_OK, not announced */
	assert_int_equal(virtq_add(vq, NULL, 0, &in, 1, &cookie), 0);
	assert_false(virtq_kick(vq));
	assert_int_equal(sim.q[0].notifies, 0);
	virtio_driver_ok(dev);
	assert_int_equal(sim.q[0].notifies, 1);
	assert_int_equal(sim_fetch(&sim, 0, &chain), 1);
	assert_int_equal(sim.driver_errors, 0);
}

/* --- config space ------------------------------------------------------------------- */

static void test_config_generation(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, 0, false);
	for (int i = 0; i < 36; i++)
		sim.config[i] = (uint8_t)(i + 1);
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	uint8_t buf[36];
	/* the generation changes during the first reads: retried until stable */
	sim.gen_bump_reads = 12;
	assert_int_equal(virtio_config_read(dev, 0, buf, 36), 0);
	for (int i = 0; i < 36; i++)
		assert_int_equal(buf[i], i + 1);
	uint8_t odd[3];
	assert_int_equal(virtio_config_read(dev, 5, odd, 3), 0); /* 1-byte, then 2-byte */
	assert_int_equal(odd[0], 6);
	assert_int_equal(odd[2], 8);
	/* a device whose generation never settles */
	sim.gen_bump_reads = 100000;
	assert_int_equal(virtio_config_read(dev, 0, buf, 36), -VSCSI_EPROTO);
	assert_true(host_glue_log_contains("config generation changed"));
	sim.gen_bump_reads = 0;
	virtio_config_write32(dev, 28, 0x11223344);
	assert_int_equal(sim.config[28], 0x44);
	assert_int_equal(sim.config[31], 0x11);
	assert_int_equal(sim.driver_errors, 0);
}

/* --- NEEDS_RESET and recovery ------------------------------------------------------ */

static unsigned config_calls, queue_calls[4];
static void on_config(struct virtio_device *d, void *arg)
{
	(void)arg;
	(void)d;
	config_calls++;
}
static void on_queue(struct virtqueue *vq, void *arg)
{
	(void)arg;
	queue_calls[virtq_index(vq)]++;
}

static void start_with_callbacks(unsigned nq, const struct virtio_open_opts *opts)
{
	struct virtq_request req[4];
	for (unsigned i = 0; i < 4; i++)
		req[i] = (struct virtq_request){ .callback = on_queue };
	config_calls = 0;
	memset(queue_calls, 0, sizeof(queue_calls));
	assert_int_equal(sim_open(&sim, &g, opts, &dev), 0);
	virtio_set_config_callback(dev, on_config, NULL);
	assert_int_equal(virtio_negotiate(dev, 0), 0);
	assert_int_equal(virtio_queues_create(dev, nq, req), 0);
	virtio_driver_ok(dev);
}

static void drop(void *cookie, void *arg)
{
	(void)cookie;
	(*(unsigned *)arg)++;
}

static void test_needs_reset_and_recovery(void **state)
{
	(void)state;
	sim_init(&sim, 2, 16, IND | EVI, false);
	start_with_callbacks(2, NULL);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_POLL); /* no irq_attach */
	struct virtqueue *vq = virtio_queue(dev, 1);
	struct virtq_buf in = { 0x3000, 16 };
	int cookie;
	assert_int_equal(virtq_add(vq, NULL, 0, &in, 1, &cookie), 0);
	virtq_kick(vq);
	assert_false(virtio_needs_reset(dev));
	sim_set_needs_reset(&sim);
	virtio_poll(dev);
	assert_int_equal(config_calls, 1);
	assert_true(virtio_needs_reset(dev));
	assert_int_equal(virtio_reset(dev), 0);
	assert_false(virtio_needs_reset(dev));
	unsigned n = 0;
	virtq_reclaim(vq, drop, &n);
	virtq_reclaim(virtio_queue(dev, 0), drop, &n);
	assert_int_equal(n, 1);
	assert_int_equal(virtio_reinit(dev), 0);
	assert_int_equal(virtio_status(dev), 15);
	/* the same features, and the same queue memory, again */
	assert_int_equal(virtio_features(dev), V1 | IND | EVI);
	roundtrip(1, 9);
	roundtrip(0, 2);
	assert_int_equal(sim.driver_errors, 0);
}

static void test_reset_that_never_completes(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, 0, false);
	start_with_callbacks(1, NULL);
	struct virtq_buf in = { 0x3000, 16 };
	int cookie;
	assert_int_equal(virtq_add(virtio_queue(dev, 0), NULL, 0, &in, 1, &cookie), 0);
	virtq_kick(virtio_queue(dev, 0));
	sim.reset_stuck = true;
	assert_int_equal(virtio_reset(dev), -VSCSI_ETIMEDOUT);
	unsigned n = 0;
	virtq_reclaim(virtio_queue(dev, 0), drop, &n); /* the device may still DMA */
	assert_int_equal(n, 0);
	sim.reset_stuck = false;
	assert_int_equal(virtio_reset(dev), 0);
	virtq_reclaim(virtio_queue(dev, 0), drop, &n);
	assert_int_equal(n, 1);
}

/* virtio_close on a device whose reset never completes: the rings (and
 * indirect tables) stay allocated, because the device may still write
 * them; DMA is stopped; the failure is reported, not ignored. */
static void test_close_keeps_rings_when_reset_fails(void **state)
{
	(void)state;
	sim_init(&sim, 2, 16, IND, false);
	start_with_callbacks(2, NULL);
	uint64_t rings[6];
	for (unsigned i = 0; i < 2; i++) {
		rings[3 * i] = sim.q[i].desc;
		rings[3 * i + 1] = sim.q[i].driver;
		rings[3 * i + 2] = sim.q[i].device;
	}
	sim.reset_stuck = true;
	assert_int_equal(virtio_close(dev), -VSCSI_ETIMEDOUT);
	dev = NULL;
	for (unsigned i = 0; i < 6; i++)
		assert_true(host_glue_dma_live(rings[i]));
	assert_true(sim.dma_stopped);
	/* Kept: each queue's ring memory and its indirect tables. */
	assert_int_equal(host_glue_live_allocs() - allocs_before, 4);
	allocs_before += 4; /* the teardown's leak check */
	/* The device writes late: blocked. */
	sim_push_used_raw(&sim, 0, 0, 16, 1);
	assert_true(sim.dma_blocked > 0);
}

/* A transport that cannot stop DMA (virtio-mmio): the rings are kept
 * all the same. */
static void test_close_stuck_without_dma_switch(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, 0, false);
	start_with_callbacks(1, NULL);
	uint64_t ring = sim.q[0].desc;
	sim.reset_stuck = true;
	sim.no_stop_dma = true;
	assert_int_equal(virtio_close(dev), -VSCSI_ETIMEDOUT);
	dev = NULL;
	assert_true(host_glue_dma_live(ring));
	assert_false(sim.dma_stopped);
	assert_int_equal(sim.stop_dma_calls, 1);
	allocs_before += 1;
}

static void test_poll_runs_only_queues_with_work(void **state)
{
	(void)state;
	sim_init(&sim, 3, 16, 0, false);
	start_with_callbacks(3, NULL);
	virtio_poll(dev);
	assert_int_equal(queue_calls[0] + queue_calls[1] + queue_calls[2], 0);
	struct virtq_buf in = { 0x3000, 16 };
	int cookie;
	assert_int_equal(virtq_add(virtio_queue(dev, 2), NULL, 0, &in, 1, &cookie), 0);
	virtq_kick(virtio_queue(dev, 2));
	assert_int_equal(sim_fetch(&sim, 2, &chain), 1);
	sim_complete(&sim, 2, chain.id, 1);
	virtio_poll(dev);
	assert_int_equal(queue_calls[0], 0);
	assert_int_equal(queue_calls[1], 0);
	assert_int_equal(queue_calls[2], 1);
}

static void test_close_untouched_device(void **state)
{
	(void)state;
	sim_init(&sim, 1, 16, 0, false);
	assert_int_equal(sim_open(&sim, &g, NULL, &dev), 0);
	virtio_close(dev);
	dev = NULL;
	assert_int_equal(sim.nstatus_log, 0); /* never written: not reset either */
}

/* --- interrupts ------------------------------------------------------------------ */

static void test_msix_one_vector_per_queue(void **state)
{
	(void)state;
	host_glue_enable_irqs(&g, true);
	sim_init(&sim, 3, 16, 0, false);
	sim.msix_entries = 4;
	start_with_callbacks(3, NULL);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_MSIX);
	assert_int_equal(host_glue_irq_count(), 4);
	assert_int_equal(sim.config_vector, 0);
	for (unsigned q = 0; q < 3; q++)
		assert_int_equal(sim.q[q].vector, 1 + q);
	/* entry i got the i-th message: fire the queue-2 vector */
	assert_true(host_glue_irq_fire(3));
	assert_int_equal(queue_calls[2], 1);
	assert_int_equal(queue_calls[0] + queue_calls[1], 0);
	assert_true(host_glue_irq_fire(0));
	assert_int_equal(config_calls, 1);
	roundtrip(1, 1);
	assert_int_equal(sim.driver_errors, 0);
	virtio_close(dev);
	dev = NULL;
	assert_int_equal(host_glue_irq_count(), 0);
	assert_false(sim.msix_enabled);
}

static void test_msix_shared_when_table_small(void **state)
{
	(void)state;
	host_glue_enable_irqs(&g, true);
	sim_init(&sim, 3, 16, 0, false);
	sim.msix_entries = 2;
	start_with_callbacks(3, NULL);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_MSIX);
	assert_int_equal(host_glue_irq_count(), 2);
	for (unsigned q = 0; q < 3; q++)
		assert_int_equal(sim.q[q].vector, 1);
	assert_true(host_glue_irq_fire(1));
	assert_int_equal(queue_calls[0] + queue_calls[1] + queue_calls[2], 3);
	assert_int_equal(sim.driver_errors, 0);
}

static void test_msix_vector_rejected_falls_back_to_intx(void **state)
{
	(void)state;
	host_glue_enable_irqs(&g, true);
	sim_init(&sim, 2, 16, IND, false);
	sim.msix_entries = 3;
	sim.reject_vectors = true; /* reads back NO_VECTOR */
	start_with_callbacks(2, NULL);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_INTX);
	assert_true(host_glue_log_contains("trying"));
	assert_false(sim.msix_enabled);
	assert_int_equal(host_glue_irq_count(), 1);
	assert_int_equal(host_glue_irq(0)->kind, VSCSI_IRQ_LINE);
	/* the line handler reads (and so clears) the ISR: bit 0 -> every
	 * queue, bit 1 -> config */
	sim.isr = 1;
	host_glue_irq_fire(0);
	assert_int_equal(queue_calls[0], 1);
	assert_int_equal(queue_calls[1], 1);
	assert_int_equal(config_calls, 0);
	assert_int_equal(sim.isr, 0);
	sim.isr = 3;
	host_glue_irq_fire(0);
	assert_int_equal(queue_calls[0], 2);
	assert_int_equal(config_calls, 1);
	sim.isr = 0;
	host_glue_irq_fire(0); /* someone else's interrupt on a shared line */
	assert_int_equal(queue_calls[0], 2);
	roundtrip(0, 4);
	/* the fallback reset the device and ran the sequence again cleanly */
	assert_int_equal(sim.driver_errors, 0);
	assert_int_equal(virtio_status(dev), 15);
}

static void test_msix_without_host_support_uses_intx(void **state)
{
	(void)state;
	host_glue_enable_irqs(&g, true);
	sim_init(&sim, 1, 16, 0, false);
	sim.msix_entries = 0; /* no MSI-X capability */
	start_with_callbacks(1, NULL);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_INTX);
}

static void test_irq_attach_failure_falls_back_to_polling(void **state)
{
	(void)state;
	host_glue_enable_irqs(&g, true);
	host_glue_irq_fail(100);
	sim_init(&sim, 2, 16, 0, false);
	sim.msix_entries = 3;
	start_with_callbacks(2, NULL);
	host_glue_irq_fail(0);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_POLL);
	assert_int_equal(host_glue_irq_count(), 0);
	roundtrip(1, 2);
	assert_int_equal(sim.driver_errors, 0);
}

static void test_explicit_poll_and_intx(void **state)
{
	(void)state;
	host_glue_enable_irqs(&g, true);
	sim_init(&sim, 1, 16, 0, false);
	sim.msix_entries = 2;
	struct virtio_open_opts poll = { .intr = VIRTIO_INTR_POLL };
	start_with_callbacks(1, &poll);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_POLL);
	assert_int_equal(host_glue_irq_count(), 0);
	virtio_close(dev);
	sim_destroy(&sim);
	sim_init(&sim, 1, 16, 0, false);
	sim.msix_entries = 2;
	struct virtio_open_opts intx = { .intr = VIRTIO_INTR_INTX };
	start_with_callbacks(1, &intx);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_INTX);
}

static void test_msix_survives_reinit(void **state)
{
	(void)state;
	host_glue_enable_irqs(&g, true);
	sim_init(&sim, 2, 16, 0, false);
	sim.msix_entries = 3;
	start_with_callbacks(2, NULL);
	assert_int_equal(virtio_reset(dev), 0);
	assert_int_equal(sim.q[1].vector, VIRTIO_NO_VECTOR); /* reset unmapped them */
	assert_int_equal(virtio_reinit(dev), 0);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_MSIX);
	assert_int_equal(sim.config_vector, 0);
	assert_int_equal(sim.q[1].vector, 2);
	roundtrip(1, 1);
	assert_int_equal(sim.driver_errors, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_init_sequence_and_features),
		T(test_features_refused),
		T(test_access_platform_accepted),
		T(test_access_platform_vetoed_is_refused),
		T(test_veto),
		T(test_modern_requires_version_1),
		T(test_legacy_sequence),
		T(test_legacy_queue_not_power_of_two),
		T(test_queue_sizes),
		T(test_missing_queue),
		T(test_retry_with_fewer_queues),
		T(test_out_of_memory),
		T(test_kick_before_driver_ok_is_deferred),
		T(test_config_generation),
		T(test_needs_reset_and_recovery),
		T(test_reset_that_never_completes),
		T(test_close_keeps_rings_when_reset_fails),
		T(test_close_stuck_without_dma_switch),
		T(test_poll_runs_only_queues_with_work),
		T(test_close_untouched_device),
		T(test_msix_one_vector_per_queue),
		T(test_msix_shared_when_table_small),
		T(test_msix_vector_rejected_falls_back_to_intx),
		T(test_msix_without_host_support_uses_intx),
		T(test_irq_attach_failure_falls_back_to_polling),
		T(test_explicit_poll_and_intx),
		T(test_msix_survives_reinit),
	};
	return vs_run_tests(tests, argc, argv);
}
