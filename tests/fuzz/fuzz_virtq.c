/*
 * fuzz_virtq.c - libFuzzer target: a device that writes whatever the input
 * says into the used ring, against the driver's split and packed queues.
 *
 * The input is a program for the simulated device (tests/unit/sim): the
 * first byte picks the ring type and features, every following byte one
 * operation - the driver adds or kicks chains, the device completes them
 * honestly, or writes arbitrary used entries (any id, any length, any
 * advance), or moves used.idx anywhere.  The driver drains after each
 * operation.  What must hold, whatever the device does (virtio 1.2 §2.7.8,
 * virtio 1.2 §2.8: the device is not trusted):
 *   - no memory error (ASan) and no undefined behaviour (UBSan);
 *   - every cookie comes back at most once, and only cookies that were
 *     queued and not yet returned;
 *   - a reported length never exceeds the chain's writable bytes;
 *   - after a fault, reset + reclaim + re-init returns each outstanding
 *     cookie exactly once and the queue works again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/virtio_sim.h"
#include "support/host_glue.h"
#include "virtio/virtio.h"

#define QSIZE 8
#define MAX_COOKIES 64

static struct {
	bool queued[MAX_COOKIES];  /* handed to the driver, not yet back */
	uint32_t in_bytes[MAX_COOKIES];
	unsigned next;
} T;

static void check_cookie(void *cookie, uint32_t len)
{
	uintptr_t i = (uintptr_t)cookie - 1;
	if (i >= MAX_COOKIES || !T.queued[i])
		abort(); /* unknown cookie, or one returned twice */
	if (len > T.in_bytes[i])
		abort(); /* longer than the writable part */
	T.queued[i] = false;
}

static void reclaim_one(void *cookie, void *arg)
{
	(void)arg;
	check_cookie(cookie, 0);
}

static void recover(struct virtio_device *dev, struct virtqueue *vq)
{
	if (virtio_reset(dev) != 0)
		abort();
	virtq_reclaim(vq, reclaim_one, NULL);
	for (unsigned i = 0; i < MAX_COOKIES; i++)
		if (T.queued[i])
			abort(); /* reclaim missed an outstanding cookie */
	if (virtio_reinit(dev) != 0)
		abort();
}

static void drain(struct virtio_device *dev, struct virtqueue *vq)
{
	for (;;) {
		void *cookie;
		uint32_t len;
		int r = virtq_get(vq, &cookie, &len);
		if (r == 0)
			return;
		if (r < 0) {
			recover(dev, vq);
			return;
		}
		check_cookie(cookie, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	memset(&T, 0, sizeof(T));
	uint8_t cfg = data[0];
	uint64_t features = 0;
	if (cfg & 1)
		features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	if (cfg & 2)
		features |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (cfg & 4)
		features |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	struct vscsi_glue g;
	host_glue_init(&g);
	g.log_level = -1; /* faults are expected: keep stderr quiet */
	static struct sim_dev sim;
	sim_init(&sim, 1, QSIZE, features, false);
	struct virtio_device *dev;
	if (sim_start(&sim, &g, NULL, features, 1, NULL, &dev) != 0) {
		sim_destroy(&sim);
		return 0;
	}
	struct virtqueue *vq = virtio_queue(dev, 0);
	static struct sim_chain chain;
	for (size_t i = 1; i + 2 < size; i += 3) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
		switch (op % 6) {
		case 0: { /* driver queues a chain of 1..4 readable, 0..3 writable buffers */
			struct virtq_buf out[4], in[3];
			unsigned n_out = 1 + (a & 3), n_in = (a >> 2) & 3;
			uint32_t in_bytes = 0;
			for (unsigned k = 0; k < n_out; k++)
				out[k] = (struct virtq_buf){ 0x100000 + 0x1000 * k, 16 + b };
			for (unsigned k = 0; k < n_in; k++) {
				in[k] = (struct virtq_buf){ 0x200000 + 0x1000 * k, 8 + (a >> 4) };
				in_bytes += in[k].len;
			}
			unsigned slot = T.next++ % MAX_COOKIES;
			if (T.queued[slot])
				break;
			if (virtq_add(vq, out, n_out, in, n_in, (void *)(uintptr_t)(slot + 1)) == 0) {
				T.queued[slot] = true;
				T.in_bytes[slot] = in_bytes;
			}
			break;
		}
		case 1:
			virtq_kick(vq);
			break;
		case 2: /* an honest completion with a chosen (maybe wrong) length */
			if (sim_fetch(&sim, 0, &chain) == 1)
				sim_complete(&sim, 0, chain.id, (uint32_t)a << (b & 15));
			break;
		case 3: /* garbage used entry */
			sim_push_used_raw(&sim, 0, (uint32_t)a | (uint32_t)(b & 0x80) << 8,
					  (uint32_t)b << (a & 7), (uint16_t)(1 + (b & 3)));
			break;
		case 4: /* used.idx moved anywhere */
			sim_set_used_idx(&sim, 0, (uint16_t)(a | b << 8));
			break;
		case 5:
			virtq_enable_cb(vq);
			break;
		}
		drain(dev, vq);
	}
	/* Whatever happened, a reset gives every outstanding buffer back once. */
	recover(dev, vq);
	virtio_close(dev);
	sim_destroy(&sim);
	return 0;
}
