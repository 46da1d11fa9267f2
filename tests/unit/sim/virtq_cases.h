/*
 * virtq_cases.h - virtqueue test cases common to both ring formats.
 *
 * Included by test_virtq_split.c (RING_BITS 0) and test_virtq_packed.c
 * (RING_BITS = VIRTIO_F_RING_PACKED): the same driver behaviour is checked
 * against the simulated device for each ring layout.
 */
#ifndef RING_BITS
#error "define RING_BITS before including virtq_cases.h"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sim/virtio_sim.h"
#include "support/host_glue.h"
#include "virtio/virtio.h"
#include "vscsi/errors.h"

#define IND VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define EVI VIRTIO_BIT(VIRTIO_F_EVENT_IDX)

static struct {
	struct vscsi_glue g;
	struct sim_dev sim;
	struct virtio_device *dev;
	struct virtqueue *vq;
	unsigned expected_driver_errors;
	long allocs_before;
} F;
static struct sim_chain C; /* large: keep it off the stack */

/* A test that failed half-way left its device open: close it so that the
 * next test starts clean. */
static void fx_cleanup_previous(void)
{
	if (F.dev) {
		virtio_close(F.dev);
		sim_destroy(&F.sim);
		F.dev = NULL;
	}
	F.allocs_before = host_glue_live_allocs();
}

static void fx_up_opts(uint64_t features, uint16_t qsize, uint16_t indirect_max, bool legacy)
{
	fx_cleanup_previous();
	host_glue_init(&F.g);
	sim_init(&F.sim, 1, qsize, features | (legacy ? 0 : RING_BITS), legacy);
	struct virtq_request req = { .indirect_max = indirect_max };
	assert_int_equal(sim_start(&F.sim, &F.g, NULL, 0, 1, &req, &F.dev), 0);
	F.vq = virtio_queue(F.dev, 0);
	assert_non_null(F.vq);
	assert_int_equal(virtq_is_packed(F.vq), RING_BITS != 0 && !legacy);
	F.expected_driver_errors = 0;
}

static void fx_up(uint64_t features, uint16_t qsize)
{
	fx_up_opts(features, qsize, 0, false);
}

static void fx_down(void)
{
	assert_int_equal(F.sim.driver_errors, F.expected_driver_errors);
	virtio_close(F.dev);
	F.dev = NULL;
	sim_destroy(&F.sim);
	assert_int_equal(host_glue_live_allocs(), F.allocs_before);
}

static struct virtq_buf B(uint64_t addr, uint32_t len)
{
	struct virtq_buf b = { addr, len };
	return b;
}

/* Add one chain of n_out readable and n_in writable 512-byte buffers. */
static int add_chain(unsigned n_out, unsigned n_in, void *cookie)
{
	struct virtq_buf out[64], in[64];
	for (unsigned i = 0; i < n_out; i++)
		out[i] = B(0x100000 + 0x1000 * i, 512);
	for (unsigned i = 0; i < n_in; i++)
		in[i] = B(0x200000 + 0x1000 * i, 512);
	return virtq_add(F.vq, out, n_out, in, n_in, cookie);
}

static unsigned notifies(void)
{
	return F.sim.q[0].notifies;
}

static unsigned interrupts(void)
{
	return F.sim.q[0].interrupts;
}

/* --- chains ----------------------------------------------------------------- */

static void test_single_buffer(void **state)
{
	(void)state;
	fx_up(IND | EVI, 16);
	int cookie;
	struct virtq_buf out = B(0x5000, 51);
	assert_int_equal(virtq_add(F.vq, &out, 1, NULL, 0, &cookie), 0);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 0); /* nothing before the kick */
	assert_true(virtq_kick(F.vq));
	assert_int_equal(notifies(), 1);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(C.nseg, 1);
	assert_false(C.indirect); /* one buffer: no table */
	assert_int_equal(C.seg[0].addr, 0x5000);
	assert_int_equal(C.seg[0].len, 51);
	assert_false(C.seg[0].write);
	void *ck = NULL;
	uint32_t len = 99;
	assert_int_equal(virtq_get(F.vq, &ck, &len), 0);
	sim_complete(&F.sim, 0, C.id, 0);
	assert_true(virtq_has_used(F.vq));
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_ptr_equal(ck, &cookie);
	assert_int_equal(len, 0);
	assert_int_equal(virtq_get(F.vq, &ck, &len), 0);
	assert_int_equal(virtq_free_count(F.vq), 16);
	fx_down();
}

static void check_chain_segments(unsigned n_out, unsigned n_in)
{
	assert_int_equal(C.nseg, n_out + n_in);
	for (unsigned i = 0; i < n_out; i++) {
		assert_int_equal(C.seg[i].addr, 0x100000 + 0x1000 * i);
		assert_false(C.seg[i].write);
	}
	for (unsigned i = 0; i < n_in; i++) {
		assert_int_equal(C.seg[n_out + i].addr, 0x200000 + 0x1000 * i);
		assert_true(C.seg[n_out + i].write);
	}
	assert_int_equal(C.in_bytes, 512 * n_in);
	assert_int_equal(C.out_bytes, 512 * n_out);
}

static void test_direct_chain(void **state)
{
	(void)state;
	fx_up(0, 16);
	int cookie;
	assert_int_equal(add_chain(2, 3, &cookie), 0);
	assert_int_equal(virtq_free_count(F.vq), 11);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_false(C.indirect);
	assert_int_equal(C.ndesc, 5);
	check_chain_segments(2, 3);
	sim_complete(&F.sim, 0, C.id, 3 * 512);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_int_equal(len, 1536);
	assert_int_equal(virtq_free_count(F.vq), 16);
	fx_down();
}

static void test_indirect_chain(void **state)
{
	(void)state;
	fx_up(IND, 16);
	int cookie;
	assert_int_equal(add_chain(2, 2, &cookie), 0);
	assert_int_equal(virtq_free_count(F.vq), 15); /* one slot per chain */
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_true(C.indirect);
	assert_int_equal(C.ndesc, 1);
	check_chain_segments(2, 2);
	sim_complete(&F.sim, 0, C.id, 100);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_int_equal(len, 100);
	assert_int_equal(virtq_free_count(F.vq), 16);
	fx_down();
}

static void test_indirect_fallback_to_direct(void **state)
{
	(void)state;
	fx_up_opts(IND, 16, 4, false);
	assert_int_equal(virtq_indirect_max(F.vq), 4);
	assert_int_equal(virtq_max_chain(F.vq), 16);
	int a, b;
	assert_int_equal(add_chain(1, 3, &a), 0); /* 4: fits a table */
	assert_int_equal(add_chain(2, 4, &b), 0); /* 6: direct */
	assert_int_equal(virtq_free_count(F.vq), 16 - 1 - 6);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_true(C.indirect);
	check_chain_segments(1, 3);
	uint16_t first = C.id;
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_false(C.indirect);
	assert_int_equal(C.ndesc, 6);
	check_chain_segments(2, 4);
	sim_complete(&F.sim, 0, C.id, 0);
	sim_complete(&F.sim, 0, first, 0);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_ptr_equal(ck, &b);
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_ptr_equal(ck, &a);
	assert_int_equal(virtq_free_count(F.vq), 16);
	fx_down();
}

static void test_add_rejects_bad_chains(void **state)
{
	(void)state;
	fx_up(IND, 8);
	int cookie;
	struct virtq_buf zero = B(0x1000, 0), ok = B(0x1000, 8);
	assert_int_equal(virtq_add(F.vq, &zero, 1, NULL, 0, &cookie), -VSCSI_EINVAL);
	assert_int_equal(virtq_add(F.vq, &ok, 1, &zero, 1, &cookie), -VSCSI_EINVAL);
	assert_int_equal(virtq_add(F.vq, NULL, 0, NULL, 0, &cookie), -VSCSI_EINVAL);
	assert_int_equal(virtq_add(F.vq, &ok, 1, NULL, 0, NULL), -VSCSI_EINVAL);
	assert_int_equal(add_chain(5, 4, &cookie), -VSCSI_EINVAL); /* 9 > 8 */
	struct virtq_buf big[2] = { B(0x1000, 0x80000000u), B(0x2000, 0x80000000u) };
	assert_int_equal(virtq_add(F.vq, big, 2, NULL, 0, &cookie), -VSCSI_EINVAL); /* 2^32 */
	assert_int_equal(virtq_free_count(F.vq), 8);
	assert_false(virtq_kick(F.vq)); /* nothing was added */
	assert_int_equal(notifies(), 0);
	fx_down();
}

static void test_ring_full(void **state)
{
	(void)state;
	fx_up(0, 8);
	int c[9];
	for (int i = 0; i < 8; i++)
		assert_int_equal(add_chain(1, 0, &c[i]), 0);
	assert_int_equal(add_chain(1, 0, &c[8]), -VSCSI_ENOSPC);
	virtq_kick(F.vq);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
		sim_complete(&F.sim, 0, C.id, 0);
	}
	void *ck;
	uint32_t len;
	for (int i = 0; i < 2; i++)
		assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_int_equal(add_chain(2, 1, &c[8]), -VSCSI_ENOSPC); /* 3 needed, 2 free */
	assert_int_equal(add_chain(1, 1, &c[8]), 0);
	F.expected_driver_errors = 0;
	fx_down();
}

static void test_batched_kick(void **state)
{
	(void)state;
	fx_up(IND | EVI, 32);
	int c[5];
	for (int i = 0; i < 5; i++)
		assert_int_equal(add_chain(1, 1, &c[i]), 0);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 0);
	assert_true(virtq_kick(F.vq));
	assert_false(virtq_kick(F.vq)); /* nothing new */
	assert_int_equal(notifies(), 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 0);
	struct virtq_stats st;
	virtq_get_stats(F.vq, &st);
	assert_int_equal(st.added, 5);
	assert_int_equal(st.kicks, 1);
	fx_down();
}

/* --- completion order and wrap-around --------------------------------------- */

static void test_out_of_order(void **state)
{
	(void)state;
	fx_up(IND, 16);
	int cookies[8];
	uint16_t ids[8];
	for (int i = 0; i < 8; i++)
		assert_int_equal(add_chain(1, 2, &cookies[i]), 0);
	virtq_kick(F.vq);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
		ids[i] = C.id;
	}
	static const int order[8] = { 5, 0, 7, 3, 1, 6, 2, 4 };
	for (int k = 0; k < 8; k++)
		sim_complete(&F.sim, 0, ids[order[k]], (uint32_t)(order[k] * 10 + 1));
	for (int k = 0; k < 8; k++) {
		void *ck;
		uint32_t len;
		assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
		assert_ptr_equal(ck, &cookies[order[k]]);
		assert_int_equal(len, order[k] * 10 + 1);
	}
	assert_int_equal(virtq_free_count(F.vq), 16);
	fx_down();
}

/* Many more requests than the ring holds, completed in random order with
 * random numbers in flight: every cookie comes back exactly once, and the
 * 16-bit indices wrap (more than 65536 requests). */
static void run_many(uint64_t features, uint16_t qsize, unsigned total, unsigned max_chain)
{
	fx_up(features, qsize);
	unsigned *seen = calloc(total, sizeof(unsigned));
	uint16_t *pending = calloc(qsize, sizeof(uint16_t));
	unsigned npending = 0, next = 0, done = 0, stalled = 0, last_done = 0;
	srand(12345);
	while (done < total) {
		/* a driver that loses completions must fail, not hang */
		stalled = done == last_done ? stalled + 1 : 0;
		last_done = done;
		assert_true(stalled < 1000);
		/* add a random number of chains of random shape */
		unsigned want = (unsigned)rand() % (qsize + 1u);
		for (unsigned k = 0; k < want && next < total; k++) {
			unsigned n_out = 1 + (unsigned)rand() % max_chain;
			unsigned n_in = (unsigned)rand() % 2;
			int rc = add_chain(n_out, n_in, (void *)(uintptr_t)(next + 1));
			if (rc == -VSCSI_ENOSPC)
				break;
			assert_int_equal(rc, 0);
			next++;
		}
		if (rand() % 4)
			virtq_kick(F.vq);
		while (sim_fetch(&F.sim, 0, &C) == 1) {
			pending[npending++] = C.id;
			assert_true(npending <= qsize);
		}
		/* complete a random subset in random order */
		unsigned ncomp = npending ? (unsigned)rand() % (npending + 1) : 0;
		for (unsigned k = 0; k < ncomp; k++) {
			unsigned pick = (unsigned)rand() % npending;
			sim_complete(&F.sim, 0, pending[pick], 0);
			pending[pick] = pending[--npending];
		}
		void *ck;
		uint32_t len;
		int rc;
		while ((rc = virtq_get(F.vq, &ck, &len)) == 1) {
			uintptr_t n = (uintptr_t)ck;
			assert_true(n >= 1 && n <= total);
			assert_int_equal(seen[n - 1], 0);
			seen[n - 1]++;
			done++;
		}
		assert_int_equal(rc, 0);
		if (next == total && !npending)
			virtq_kick(F.vq);
	}
	for (unsigned i = 0; i < total; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(virtq_free_count(F.vq), qsize);
	struct virtq_stats st;
	virtq_get_stats(F.vq, &st);
	assert_int_equal(st.added, total);
	assert_int_equal(st.used, total);
	assert_int_equal(st.faults, 0);
	free(seen);
	free(pending);
	fx_down();
}

static void test_wrap_many_direct(void **state)
{
	(void)state;
	run_many(0, 8, 70000, 3);
}

static void test_wrap_many_indirect_event_idx(void **state)
{
	(void)state;
	run_many(IND | EVI, 16, 70000, 4);
}

/* --- interrupt suppression (device -> driver) ------------------------------- */

/* A driver that polls asks for no used-buffer notifications at all. */
static void test_polling_driver_gets_no_interrupts(void **state)
{
	(void)state;
	fx_up(EVI, 16);
	int c[3];
	for (int i = 0; i < 3; i++)
		add_chain(0, 1, &c[i]);
	virtq_kick(F.vq);
	void *ck;
	uint32_t len;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
		assert_false(sim_complete(&F.sim, 0, C.id, 1));
		assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	}
	assert_int_equal(interrupts(), 0);
	fx_down();
}

static void test_used_event_tracks_drain(void **state)
{
	(void)state;
	fx_up(EVI, 16);
	/* The fixture's device polls (the host glue has no interrupts), and a
	 * polling device starts with notifications off: turn them on, as an
	 * interrupt-driven driver has them. */
	assert_false(virtq_enable_cb(F.vq));
	int c[4];
	uint16_t ids[4];
	for (int i = 0; i < 4; i++)
		add_chain(0, 1, &c[i]);
	virtq_kick(F.vq);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
		ids[i] = C.id;
	}
	void *ck;
	uint32_t len;
	assert_true(sim_complete(&F.sim, 0, ids[0], 1)); /* the first one interrupts */
	assert_false(sim_complete(&F.sim, 0, ids[1], 1)); /* not drained: no second */
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_true(sim_complete(&F.sim, 0, ids[2], 1)); /* re-armed by the drain */
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	virtq_disable_cb(F.vq);
	assert_false(sim_complete(&F.sim, 0, ids[3], 1));
	assert_true(virtq_enable_cb(F.vq)); /* one is pending: drain again */
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_false(virtq_enable_cb(F.vq));
	assert_int_equal(interrupts(), 2);
	fx_down();
}

static void test_interrupt_flag_without_event_idx(void **state)
{
	(void)state;
	fx_up(0, 16);
	int c[3];
	uint16_t ids[3];
	for (int i = 0; i < 3; i++)
		add_chain(0, 1, &c[i]);
	virtq_kick(F.vq);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
		ids[i] = C.id;
	}
	virtq_disable_cb(F.vq);
	assert_false(sim_complete(&F.sim, 0, ids[0], 1));
	assert_true(virtq_enable_cb(F.vq));
	assert_true(sim_complete(&F.sim, 0, ids[1], 1));
	assert_true(sim_complete(&F.sim, 0, ids[2], 1)); /* without EVENT_IDX: every one */
	void *ck;
	uint32_t len;
	for (int i = 0; i < 3; i++)
		assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	fx_down();
}

/* --- reset and reclaim -------------------------------------------------------- */

static unsigned reclaimed[16];
static void count_reclaim(void *cookie, void *arg)
{
	(void)arg;
	reclaimed[(uintptr_t)cookie]++;
}

static void test_reclaim_after_reset(void **state)
{
	(void)state;
	fx_up(IND | EVI, 16);
	memset(reclaimed, 0, sizeof(reclaimed));
	uint16_t ids[6];
	for (uintptr_t i = 1; i <= 6; i++)
		assert_int_equal(add_chain(1, 1, (void *)i), 0);
	virtq_kick(F.vq);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
		ids[i] = C.id;
	}
	sim_complete(&F.sim, 0, ids[1], 0);
	sim_complete(&F.sim, 0, ids[4], 0);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_ptr_equal(ck, (void *)2);
	sim_complete(&F.sim, 0, ids[0], 0); /* used, never taken: still outstanding */
	for (uintptr_t i = 7; i <= 8; i++) /* added, never published */
		assert_int_equal(add_chain(1, 0, (void *)i), 0);

	/* not while the device owns the ring */
	virtq_reclaim(F.vq, count_reclaim, NULL);
	assert_true(host_glue_log_contains("reclaim refused"));
	for (int i = 0; i < 16; i++)
		assert_int_equal(reclaimed[i], 0);

	assert_int_equal(virtio_reset(F.dev), 0);
	assert_int_equal(virtio_status(F.dev), 0);
	assert_int_equal(virtq_get(F.vq, &ck, &len), 0);
	assert_int_equal(add_chain(1, 0, (void *)9), -VSCSI_ENODEV);
	virtq_reclaim(F.vq, count_reclaim, NULL);
	for (int i = 1; i <= 8; i++)
		assert_int_equal(reclaimed[i], i == 2 ? 0 : 1);
	virtq_reclaim(F.vq, count_reclaim, NULL); /* once each */
	for (int i = 1; i <= 8; i++)
		assert_int_equal(reclaimed[i], i == 2 ? 0 : 1);

	assert_int_equal(virtio_reinit(F.dev), 0);
	assert_true(virtio_status(F.dev) & VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(virtq_free_count(F.vq), 16);
	assert_int_equal(add_chain(1, 1, (void *)10), 0);
	assert_true(virtq_kick(F.vq));
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_complete(&F.sim, 0, C.id, 5);
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_ptr_equal(ck, (void *)10);
	assert_int_equal(len, 5);
	fx_down();
}

/* --- a misbehaving device ------------------------------------------------------- */

/* After a fault: the queue refuses traffic, a reset hands back the
 * outstanding cookies once, and re-initialisation recovers it. */
static void expect_broken_then_recover(unsigned outstanding)
{
	void *ck;
	uint32_t len;
	assert_true(virtq_is_broken(F.vq));
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	assert_int_equal(add_chain(1, 0, (void *)15), -VSCSI_EPROTO);
	assert_false(virtq_kick(F.vq));
	struct virtq_stats st;
	virtq_get_stats(F.vq, &st);
	assert_int_equal(st.faults, 1);
	assert_true(host_glue_log_count(0) >= 1);
	memset(reclaimed, 0, sizeof(reclaimed));
	assert_int_equal(virtio_reset(F.dev), 0);
	virtq_reclaim(F.vq, count_reclaim, NULL);
	unsigned total = 0;
	for (int i = 0; i < 16; i++) {
		assert_true(reclaimed[i] <= 1);
		total += reclaimed[i];
	}
	assert_int_equal(total, outstanding);
	assert_int_equal(virtio_reinit(F.dev), 0);
	assert_false(virtq_is_broken(F.vq));
	assert_int_equal(add_chain(1, 1, (void *)14), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_complete(&F.sim, 0, C.id, 1);
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_ptr_equal(ck, (void *)14);
}

static void test_bad_id_out_of_range(void **state)
{
	(void)state;
	fx_up(IND, 16);
	assert_int_equal(add_chain(1, 1, (void *)1), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_push_used_raw(&F.sim, 0, 16 + 3, 0, 1);
	void *ck = (void *)0x1;
	uint32_t len = 7;
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	assert_true(host_glue_log_contains("beyond the queue size"));
	expect_broken_then_recover(1);
	fx_down();
}

static void test_bad_id_huge(void **state)
{
	(void)state;
	fx_up(0, 16);
	assert_int_equal(add_chain(1, 1, (void *)1), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_push_used_raw(&F.sim, 0, 0xffffffffu, 0xffffffffu, 1);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	expect_broken_then_recover(1);
	fx_down();
}

static void test_id_not_in_flight(void **state)
{
	(void)state;
	fx_up(0, 16);
	assert_int_equal(add_chain(1, 2, (void *)1), 0); /* descriptors 0-2 (split) */
	assert_int_equal(add_chain(1, 0, (void *)2), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	/* a descriptor inside the first chain (split) / an unused buffer id
	 * (packed) */
	sim_push_used_raw(&F.sim, 0, RING_BITS ? 7 : 1, 0, 1);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	assert_true(host_glue_log_contains("not in flight"));
	expect_broken_then_recover(2);
	fx_down();
}

static void test_duplicate_completion(void **state)
{
	(void)state;
	fx_up(IND, 16);
	assert_int_equal(add_chain(1, 1, (void *)1), 0);
	assert_int_equal(add_chain(1, 1, (void *)2), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	uint16_t first = C.id;
	sim_complete(&F.sim, 0, first, 4);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_ptr_equal(ck, (void *)1);
	sim_push_used_raw(&F.sim, 0, first, 4, 1); /* the same chain again */
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	expect_broken_then_recover(1);
	fx_down();
}

static void test_len_beyond_buffers(void **state)
{
	(void)state;
	fx_up(IND, 16);
	assert_int_equal(add_chain(1, 2, (void *)1), 0); /* 512 readable + 1024 writable */
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_complete(&F.sim, 0, C.id, 1537); /* more than the whole chain */
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	assert_true(host_glue_log_contains("beyond the chain's 1536 bytes"));
	expect_broken_then_recover(1);
	fx_down();
}

/* QEMU's virtio-scsi counts data-out bytes in used.len; a length up to the
 * whole chain is clamped to the writable part, not a fault. */
static void test_len_counting_readable_bytes_is_clamped(void **state)
{
	(void)state;
	fx_up(IND, 16);
	assert_int_equal(add_chain(1, 2, (void *)1), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_complete(&F.sim, 0, C.id, 1536);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), 1);
	assert_ptr_equal(ck, (void *)1);
	assert_int_equal(len, 1024);
	struct virtq_stats st;
	virtq_get_stats(F.vq, &st);
	assert_int_equal(st.len_clamped, 1);
	assert_int_equal(st.faults, 0);
	fx_down();
}

static void test_len_on_readonly_chain(void **state)
{
	(void)state;
	fx_up(0, 16);
	assert_int_equal(add_chain(2, 0, (void *)1), 0); /* nothing writable */
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	sim_complete(&F.sim, 0, C.id, 1025);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	expect_broken_then_recover(1);
	fx_down();
}

static void test_completion_of_unpublished_chain(void **state)
{
	(void)state;
	fx_up(0, 16);
	assert_int_equal(add_chain(1, 0, (void *)1), 0);
	virtq_kick(F.vq);
	assert_int_equal(sim_fetch(&F.sim, 0, &C), 1);
	assert_int_equal(add_chain(1, 0, (void *)2), 0); /* not kicked */
	sim_push_used_raw(&F.sim, 0, 1, 0, 1);
	void *ck;
	uint32_t len;
	assert_int_equal(virtq_get(F.vq, &ck, &len), -VSCSI_EPROTO);
	expect_broken_then_recover(2);
	fx_down();
}

#define COMMON_VIRTQ_TESTS                                              \
	cmocka_unit_test(test_single_buffer),                           \
	cmocka_unit_test(test_direct_chain),                            \
	cmocka_unit_test(test_indirect_chain),                          \
	cmocka_unit_test(test_indirect_fallback_to_direct),             \
	cmocka_unit_test(test_add_rejects_bad_chains),                  \
	cmocka_unit_test(test_ring_full),                               \
	cmocka_unit_test(test_batched_kick),                            \
	cmocka_unit_test(test_out_of_order),                            \
	cmocka_unit_test(test_wrap_many_direct),                        \
	cmocka_unit_test(test_wrap_many_indirect_event_idx),            \
	cmocka_unit_test(test_polling_driver_gets_no_interrupts),       \
	cmocka_unit_test(test_used_event_tracks_drain),                 \
	cmocka_unit_test(test_interrupt_flag_without_event_idx),        \
	cmocka_unit_test(test_reclaim_after_reset),                     \
	cmocka_unit_test(test_bad_id_out_of_range),                     \
	cmocka_unit_test(test_bad_id_huge),                             \
	cmocka_unit_test(test_id_not_in_flight),                        \
	cmocka_unit_test(test_duplicate_completion),                    \
	cmocka_unit_test(test_len_beyond_buffers),                      \
	cmocka_unit_test(test_len_counting_readable_bytes_is_clamped),  \
	cmocka_unit_test(test_len_on_readonly_chain),                   \
	cmocka_unit_test(test_completion_of_unpublished_chain)
