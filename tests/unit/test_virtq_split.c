/*
 * test_virtq_split.c - the split virtqueue (virtio 1.2 §2.7) against the
 * simulated device: the common cases of sim/virtq_cases.h plus what only
 * the split layout has (used.idx, avail_event, NO_NOTIFY, legacy).
 */
#define RING_BITS 0
#include "sim/virtq_cases.h"
#include "support/runner.h"

/* --- kick suppression ------------------------------------------------------ */

static void test_event_idx_kick_suppression(void **state)
{
	(void)state;
	fx_up(EVI, 16);
	int c[8];
	/* avail_event starts at 0: the first publish crosses it */
	assert_int_equal(add_chain(1, 0, &c[0]), 0);
	assert_true(virtq_kick(F.vq));
	/* the device has not caught up (avail_event still 0): no kick */
	assert_int_equal(add_chain(1, 0, &c[1]), 0);
	assert_false(virtq_kick(F.vq));
	assert_int_equal(notifies(), 1);
	/* the device consumes both and asks for the next (avail_event = 2) */
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(add_chain(1, 0, &c[2]), 0);
	assert_int_equal(add_chain(1, 0, &c[3]), 0);
	assert_true(virtq_kick(F.vq));
	assert_int_equal(notifies(), 2);
	/* the device wants to hear only at index 6 */
	sim_set_avail_event(&F.sim, 0, 6);
	assert_int_equal(add_chain(1, 0, &c[4]), 0); /* idx 4 -> 5 */
	assert_false(virtq_kick(F.vq));
	assert_int_equal(add_chain(1, 0, &c[5]), 0); /* 5 -> 6: not yet past 6 */
	assert_false(virtq_kick(F.vq));
	assert_int_equal(add_chain(1, 0, &c[6]), 0);
	assert_int_equal(add_chain(1, 0, &c[7]), 0); /* 6 -> 8 crosses 6 */
	assert_true(virtq_kick(F.vq));
	assert_int_equal(notifies(), 3);
	struct virtq_stats st;
	virtq_get_stats(F.vq, &st);
	assert_int_equal(st.kicks, 3);
	assert_int_equal(st.kicks_suppressed, 3);
	fx_down();
}

static void test_event_idx_kick_wraps(void **state)
{
	(void)state;
	/* avail_event behind by almost 2^16 and indices wrapping: the
	 * wrap-safe comparison still decides right. */
	fx_up(EVI, 4);
	int c;
	unsigned expected = 0;
	for (unsigned i = 0; i < 70000; i++) {
		assert_int_equal(add_chain(1, 0, &c), 0);
		bool kicked = virtq_kick(F.vq);
		/* the device always fetches and re-arms: every kick is needed */
		assert_true(kicked);
		expected++;
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
		sim_complete(&F.sim, 0, C.id, 0);
		void *ck;
		uint32_t len;
		assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	}
	assert_int_equal(notifies(), expected);
	fx_down();
}

static void test_no_notify_flag(void **state)
{
	(void)state;
	fx_up(0, 16);
	int c[3];
	sim_set_no_notify(&F.sim, 0, true);
	assert_int_equal(add_chain(1, 0, &c[0]), 0);
	assert_false(virtq_kick(F.vq));
	assert_int_equal(notifies(), 0);
	sim_set_no_notify(&F.sim, 0, false);
	assert_int_equal(add_chain(1, 0, &c[1]), 0);
	assert_true(virtq_kick(F.vq));
	assert_int_equal(notifies(), 1);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	fx_down();
}

/* --- split-only misbehaviour --------------------------------------------------- */

static void test_used_idx_jump(void **state)
{
	(void)state;
	fx_up(IND, 16);
	assert_int_equal(add_chain(1, 1, (void *)1), 0);
	assert_int_equal(add_chain(1, 1, (void *)2), 0);
	virtq_kick(F.vq);
	sim_set_used_idx(&F.sim, 0, 5); /* 5 used with 2 in flight */
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	assert_true(host_glue_log_contains("used.idx moved from 0 to 5"));
	expect_broken_then_recover(2);
	fx_down();
}

static void test_used_idx_backwards(void **state)
{
	(void)state;
	fx_up(0, 16);
	assert_int_equal(add_chain(1, 1, (void *)1), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_set_used_idx(&F.sim, 0, 0xffff); /* "moved" by 65535 */
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	expect_broken_then_recover(1);
	fx_down();
}

/* --- legacy ------------------------------------------------------------------------ */

static void test_legacy_len_clamped(void **state)
{
	(void)state;
	fx_up_opts(IND | VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT), 16, 0, true);
	assert_int_equal(add_chain(1, 1, (void *)1), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_complete(&F.sim, 0, C.id, 4096);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_int_equal(len, 512); /* clamped, not a fault (spec: ignore it on legacy) */
	assert_false(virtq_is_broken(F.vq));
	fx_down();
}

static void test_ring_memory_layout(void **state)
{
	(void)state;
	fx_up(0, 256);
	/* virtio 1.2 §2.7.2 legacy layout: avail right after the table, used on the
	 * next 4096 boundary (8192 for 256 entries), 4096-aligned base. */
	assert_int_equal(F.sim.q[0].desc % 4096, 0);
	assert_int_equal(F.sim.q[0].driver - F.sim.q[0].desc, 4096);
	assert_int_equal(F.sim.q[0].device - F.sim.q[0].desc, 8192);
	fx_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		COMMON_VIRTQ_TESTS,
		cmocka_unit_test(test_event_idx_kick_suppression),
		cmocka_unit_test(test_event_idx_kick_wraps),
		cmocka_unit_test(test_no_notify_flag),
		cmocka_unit_test(test_used_idx_jump),
		cmocka_unit_test(test_used_idx_backwards),
		cmocka_unit_test(test_legacy_len_clamped),
		cmocka_unit_test(test_ring_memory_layout),
	};
	return vs_run_tests(tests, argc, argv);
}
