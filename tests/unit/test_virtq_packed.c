/*
 * test_virtq_packed.c - the packed virtqueue (virtio 1.2 §2.8) against the
 * simulated device: the common cases of sim/virtq_cases.h plus wrap
 * counters over odd sizes and the event suppression structures.
 */
#define RING_BITS VIRTIO_BIT(VIRTIO_F_RING_PACKED)
#include "sim/virtq_cases.h"
#include "support/runner.h"

#define PACKED_EVENT_ENABLE 0
#define PACKED_EVENT_DISABLE 1
#define PACKED_EVENT_DESC 2

static void test_odd_size_wrap_counters(void **state)
{
	(void)state;
	/* Packed sizes need not be powers of 2: 7 entries, chains of 1-3
	 * descriptors, many laps of both wrap counters. */
	run_many(0, 7, 30000, 3);
}

static void test_odd_size_indirect(void **state)
{
	(void)state;
	run_many(IND | EVI, 5, 30000, 4); /* chains up to 5 = the queue size */
}

static void test_queue_size_not_rounded(void **state)
{
	(void)state;
	fx_cleanup_previous();
	host_glue_init(&F.g);
	sim_init(&F.sim, 1, 256, RING_BITS, false);
	struct virtq_request req = { .max_size = 100 };
	assert_int_equal(sim_start(&F.sim, &F.g, NULL, 0, 1, &req, &F.dev), 0);
	F.vq = virtio_queue(F.dev, 0);
	assert_int_equal(virtq_size(F.vq), 100);
	F.expected_driver_errors = 0;
	fx_down();
}

static void test_device_event_desc_mode(void **state)
{
	(void)state;
	fx_up(EVI, 8);
	int c[8];
	/* notify only when the descriptor at position 3 (wrap 1) is made available */
	sim_set_device_event(&F.sim, 0, PACKED_EVENT_DESC, 3 | 0x8000);
	assert_int_equal(add_chain(1, 0, &c[0]), 0); /* position 0 */
	assert_false(virtq_kick(F.vq));
	assert_int_equal(add_chain(1, 0, &c[1]), 0); /* 1 */
	assert_int_equal(add_chain(1, 0, &c[2]), 0); /* 2 */
	assert_false(virtq_kick(F.vq));
	assert_int_equal(add_chain(2, 0, &c[3]), 0); /* 3-4 */
	assert_true(virtq_kick(F.vq));
	assert_int_equal(notifies(), 1);
	/* position 3 of the next lap (wrap 0) is far away */
	sim_set_device_event(&F.sim, 0, PACKED_EVENT_DESC, 3);
	assert_int_equal(add_chain(1, 0, &c[4]), 0);
	assert_false(virtq_kick(F.vq));
	/* the device's mode decides, EVENT_IDX or not */
	sim_set_device_event(&F.sim, 0, PACKED_EVENT_DISABLE, 0);
	assert_int_equal(add_chain(1, 0, &c[5]), 0);
	assert_false(virtq_kick(F.vq));
	sim_set_device_event(&F.sim, 0, PACKED_EVENT_ENABLE, 0);
	assert_int_equal(add_chain(1, 0, &c[6]), 0);
	assert_true(virtq_kick(F.vq));
	assert_int_equal(notifies(), 2);
	for (int i = 0; i < 7; i++)
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 0);
	fx_down();
}

static void test_device_event_garbage_means_notify(void **state)
{
	(void)state;
	fx_up(EVI, 8);
	int c;
	/* an offset beyond the ring: notifying is the safe answer */
	sim_set_device_event(&F.sim, 0, PACKED_EVENT_DESC, 0x7fff);
	assert_int_equal(add_chain(1, 0, &c), 0);
	assert_true(virtq_kick(F.vq));
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	fx_down();
}

static void test_chain_not_visible_until_kick(void **state)
{
	(void)state;
	fx_up(0, 8);
	int a, b;
	/* the first descriptor's flags are written by the kick, after the
	 * rest of the chain (virtio 1.2 §2.8.21) */
	assert_int_equal(add_chain(2, 1, &a), 0);
	assert_int_equal(add_chain(1, 1, &b), 0);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(C.ndesc, 3);
	check_chain_segments(2, 1);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(C.ndesc, 2);
	fx_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		COMMON_VIRTQ_TESTS,
		cmocka_unit_test(test_odd_size_wrap_counters),
		cmocka_unit_test(test_odd_size_indirect),
		cmocka_unit_test(test_queue_size_not_rounded),
		cmocka_unit_test(test_device_event_desc_mode),
		cmocka_unit_test(test_device_event_garbage_means_notify),
		cmocka_unit_test(test_chain_not_visible_until_kick),
	};
	return vs_run_tests(tests, argc, argv);
}
