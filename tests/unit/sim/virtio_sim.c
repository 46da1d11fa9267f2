/*
 * virtio_sim.c - the simulated virtio device: see virtio_sim.h.
 *
 * Written from the device's point of view of virtio 1.2 §2.7 (split) and
 * virtio 1.2 §2.8 (packed); independent of the driver's ring code on purpose (its own
 * accessors and bookkeeping), so the two check each other.
 */
#include "sim/virtio_sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/transport.h"

#define F_NEXT 1u
#define F_WRITE 2u
#define F_INDIRECT 4u
#define F_AVAIL (1u << 7)
#define F_USED (1u << 15)

static uint8_t *P(uint64_t bus)
{
	return (uint8_t *)(uintptr_t)bus;
}
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}
static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int drv_err(struct sim_dev *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int drv_err(struct sim_dev *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->last_driver_error, sizeof(s->last_driver_error), fmt, ap);
	va_end(ap);
	s->driver_errors++;
	fprintf(stderr, "[sim] driver error: %s\n", s->last_driver_error);
	return -1;
}

static bool has(const struct sim_dev *s, unsigned bit)
{
	return (s->driver_features >> bit) & 1;
}

/* --- segments ------------------------------------------------------------- */

static int add_seg(struct sim_dev *s, struct sim_chain *c, uint64_t addr, uint32_t len, bool write,
		   bool *seen_write)
{
	if (len == 0)
		return drv_err(s, "zero-length descriptor");
	if (!write && *seen_write)
		return drv_err(s, "readable descriptor after a writable one");
	if (c->nseg == SIM_MAX_SEGS)
		return drv_err(s, "chain longer than %d segments", SIM_MAX_SEGS);
	*seen_write |= write;
	c->seg[c->nseg++] = (struct sim_seg){ addr, len, write };
	if (write)
		c->in_bytes += len;
	else
		c->out_bytes += len;
	return 0;
}

/* A DMA the device is about to make: false (and counted) once bus
 * mastering is off. */
static bool dma_allowed(struct sim_dev *s)
{
	if (s && s->dma_stopped) {
		s->dma_blocked++;
		return false;
	}
	return true;
}

uint32_t sim_write_in(const struct sim_chain *c, const void *data, uint32_t len)
{
	if (!dma_allowed(c->dev))
		return 0;
	const uint8_t *d = data;
	uint32_t done = 0;
	for (unsigned i = 0; i < c->nseg && done < len; i++) {
		if (!c->seg[i].write)
			continue;
		uint32_t n = c->seg[i].len < len - done ? c->seg[i].len : len - done;
		memcpy(P(c->seg[i].addr), d + done, n);
		done += n;
	}
	return done;
}

uint32_t sim_read_out(const struct sim_chain *c, void *buf, uint32_t len)
{
	if (!dma_allowed(c->dev))
		return 0;
	uint8_t *b = buf;
	uint32_t done = 0;
	for (unsigned i = 0; i < c->nseg && done < len; i++) {
		if (c->seg[i].write)
			break;
		uint32_t n = c->seg[i].len < len - done ? c->seg[i].len : len - done;
		memcpy(b + done, P(c->seg[i].addr), n);
		done += n;
	}
	return done;
}

/* --- split ring, device side ------------------------------------------ */

static int split_indirect(struct sim_dev *s, struct sim_chain *c, uint64_t addr, uint32_t len,
			  bool *seen_write)
{
	if (!has(s, VIRTIO_F_INDIRECT_DESC))
		return drv_err(s, "INDIRECT used without VIRTIO_F_INDIRECT_DESC");
	if (len == 0 || len % 16)
		return drv_err(s, "indirect table length %u not a multiple of 16", len);
	unsigned n = len / 16;
	uint8_t *t = P(addr);
	unsigned j = 0, count = 0;
	for (;;) {
		if (++count > n)
			return drv_err(s, "indirect table loops");
		uint8_t *d = t + 16 * j;
		uint16_t f = rd16(d + 12);
		if (f & F_INDIRECT)
			return drv_err(s, "nested indirect table");
		if (add_seg(s, c, rd64(d), rd32(d + 8), f & F_WRITE, seen_write))
			return -1;
		if (!(f & F_NEXT))
			return 0;
		j = rd16(d + 14);
		if (j >= n)
			return drv_err(s, "indirect next %u beyond the table of %u", j, n);
	}
}

static int split_fetch(struct sim_dev *s, struct sim_queue *q, struct sim_chain *c)
{
	uint8_t *avail = P(q->driver), *used = P(q->device), *desc = P(q->desc);
	uint16_t aidx = rd16(avail + 2);
	if (aidx == q->last_avail)
		return 0;
	if ((uint16_t)(aidx - q->last_avail) > q->size)
		return drv_err(s, "avail.idx moved from %u to %u (queue size %u)", q->last_avail, aidx,
			       q->size);
	uint16_t head = rd16(avail + 4 + 2 * (q->last_avail % q->size));
	q->last_avail++;
	if (has(s, VIRTIO_F_EVENT_IDX) && q->auto_avail_event)
		wr16(used + 4 + 8 * (size_t)q->size, q->last_avail);
	if (head >= q->size)
		return drv_err(s, "avail ring names head %u (size %u)", head, q->size);
	if (q->outstanding[head])
		return drv_err(s, "head %u made available while in flight", head);
	memset(c, 0, offsetof(struct sim_chain, seg));
	c->id = head;
	bool seen_write = false;
	unsigned i = head, count = 0;
	for (;;) {
		if (++count > q->size)
			return drv_err(s, "descriptor chain loops or exceeds the queue size");
		uint8_t *d = desc + 16 * (size_t)i;
		uint16_t f = rd16(d + 12);
		if (f & F_INDIRECT) {
			if (f & F_NEXT)
				return drv_err(s, "INDIRECT together with NEXT");
			c->indirect = true;
			if (split_indirect(s, c, rd64(d), rd32(d + 8), &seen_write))
				return -1;
			break;
		}
		if (add_seg(s, c, rd64(d), rd32(d + 8), f & F_WRITE, &seen_write))
			return -1;
		if (!(f & F_NEXT))
			break;
		i = rd16(d + 14);
		if (i >= q->size)
			return drv_err(s, "next %u beyond the queue size %u", i, q->size);
	}
	c->ndesc = (uint16_t)count;
	q->outstanding[head] = true;
	q->fetched++;
	return 1;
}

static bool split_complete(struct sim_dev *s, struct sim_queue *q, uint16_t id, uint32_t len)
{
	uint8_t *avail = P(q->driver), *used = P(q->device);
	uint8_t *e = used + 4 + 8 * (size_t)(q->used_idx % q->size);
	wr32(e, id);
	wr32(e + 4, len);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	uint16_t old = q->used_idx++;
	wr16(used + 2, q->used_idx);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (has(s, VIRTIO_F_EVENT_IDX)) {
		uint16_t ev = rd16(avail + 4 + 2 * (size_t)q->size);
		return (uint16_t)(q->used_idx - ev - 1) < (uint16_t)(q->used_idx - old);
	}
	return !(rd16(avail) & 1);
}

/* --- packed ring, device side -------------------------------------------- */

static bool avail_now(uint16_t f, bool wrap)
{
	return !!(f & F_AVAIL) == wrap && !!(f & F_USED) != wrap;
}

static int packed_fetch(struct sim_dev *s, struct sim_queue *q, struct sim_chain *c)
{
	uint8_t *desc = P(q->desc);
	if (!avail_now(rd16(desc + 16 * (size_t)q->avail_pos + 14), q->avail_wrap))
		return 0;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memset(c, 0, offsetof(struct sim_chain, seg));
	uint16_t pos = q->avail_pos;
	bool wrap = q->avail_wrap, seen_write = false;
	unsigned count = 0;
	uint16_t id = 0;
	for (;;) {
		if (++count > q->size)
			return drv_err(s, "packed chain longer than the queue");
		uint8_t *d = desc + 16 * (size_t)pos;
		uint16_t f = rd16(d + 14);
		if (!avail_now(f, wrap))
			return drv_err(s, "packed chain descriptor %u not available", pos);
		id = rd16(d + 12);
		if (f & F_INDIRECT) {
			if (!has(s, VIRTIO_F_INDIRECT_DESC))
				return drv_err(s, "INDIRECT used without VIRTIO_F_INDIRECT_DESC");
			if (f & F_NEXT)
				return drv_err(s, "INDIRECT together with NEXT");
			uint32_t len = rd32(d + 8);
			if (len == 0 || len % 16)
				return drv_err(s, "indirect table length %u", len);
			c->indirect = true;
			uint8_t *t = P(rd64(d));
			for (unsigned j = 0; j < len / 16; j++) {
				uint16_t tf = rd16(t + 16 * j + 14);
				if (tf & ~F_WRITE)
					return drv_err(s, "flags 0x%x inside a packed indirect table", tf);
				if (add_seg(s, c, rd64(t + 16 * j), rd32(t + 16 * j + 8), tf & F_WRITE,
					    &seen_write))
					return -1;
			}
		} else if (add_seg(s, c, rd64(d), rd32(d + 8), f & F_WRITE, &seen_write)) {
			return -1;
		}
		if (++pos == q->size) {
			pos = 0;
			wrap = !wrap;
		}
		if (!(f & F_NEXT))
			break;
	}
	if (id >= q->size)
		return drv_err(s, "buffer id %u beyond the queue size (sim limit)", id);
	if (q->outstanding[id])
		return drv_err(s, "buffer id %u reused while in flight", id);
	c->id = id;
	c->ndesc = (uint16_t)count;
	q->chain_len[id] = (uint16_t)count;
	q->outstanding[id] = true;
	q->avail_pos = pos;
	q->avail_wrap = wrap;
	q->fetched++;
	return 1;
}

static uint32_t lap(const struct sim_queue *q, uint16_t pos, bool wrap)
{
	return pos + (wrap ? 0u : q->size);
}

static bool packed_write_used(struct sim_dev *s, struct sim_queue *q, uint32_t id, uint32_t len,
			      uint16_t advance)
{
	uint8_t *d = P(q->desc) + 16 * (size_t)q->used_pos;
	wr32(d + 8, len);
	wr16(d + 12, (uint16_t)id);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	wr16(d + 14, (uint16_t)(q->used_wrap ? F_AVAIL | F_USED : 0));
	uint32_t old = lap(q, q->used_pos, q->used_wrap);
	uint32_t pos = (uint32_t)q->used_pos + advance;
	while (pos >= q->size) {
		pos -= q->size;
		q->used_wrap = !q->used_wrap;
	}
	q->used_pos = (uint16_t)pos;
	uint32_t new = lap(q, q->used_pos, q->used_wrap);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint8_t *ev = P(q->driver);
	uint16_t flags = rd16(ev + 2) & 3;
	if (flags == 1)
		return false;
	if (flags == 2 && has(s, VIRTIO_F_EVENT_IDX)) {
		uint16_t ow = rd16(ev);
		uint32_t e = lap(q, ow & 0x7fff, ow >> 15), cycle = 2u * q->size;
		return (e + cycle - old) % cycle < (new + cycle - old) % cycle;
	}
	return true;
}

/* --- public device-side calls ----------------------------------------------- */

static struct sim_queue *queue(struct sim_dev *s, unsigned qi)
{
	if (qi >= s->nqueues || !s->q[qi].ready) {
		fprintf(stderr, "[sim] test error: queue %u not set up\n", qi);
		abort();
	}
	return &s->q[qi];
}

int sim_fetch(struct sim_dev *s, unsigned qi, struct sim_chain *c)
{
	struct sim_queue *q = queue(s, qi);
	if (s->dma_stopped)
		return dma_allowed(s), 0; /* the rings cannot be read either */
	c->dev = s;
	int r = has(s, VIRTIO_F_RING_PACKED) ? packed_fetch(s, q, c) : split_fetch(s, q, c);
	c->dev = s;
	return r;
}

static void raise_irq(struct sim_dev *s, struct sim_queue *q, bool irq)
{
	if (irq) {
		q->interrupts++;
		s->isr |= 1;
		if (s->on_interrupt)
			s->on_interrupt(s, (unsigned)(q - s->q), s->irq_arg);
	}
}

bool sim_complete(struct sim_dev *s, unsigned qi, uint16_t id, uint32_t len)
{
	struct sim_queue *q = queue(s, qi);
	if (id >= q->size || !q->outstanding[id]) {
		fprintf(stderr, "[sim] test error: completing id %u that is not outstanding\n", id);
		abort();
	}
	q->outstanding[id] = false;
	q->completed++;
	if (!dma_allowed(s))
		return false;
	bool irq = has(s, VIRTIO_F_RING_PACKED) ? packed_write_used(s, q, id, len, q->chain_len[id])
						: split_complete(s, q, id, len);
	raise_irq(s, q, irq);
	return irq;
}

void sim_push_used_raw(struct sim_dev *s, unsigned qi, uint32_t id, uint32_t len, uint16_t advance)
{
	struct sim_queue *q = queue(s, qi);
	bool irq;
	if (!dma_allowed(s))
		return;
	if (has(s, VIRTIO_F_RING_PACKED)) {
		irq = packed_write_used(s, q, id, len, advance ? advance : 1);
	} else {
		uint8_t *used = P(q->device);
		uint8_t *e = used + 4 + 8 * (size_t)(q->used_idx % q->size);
		wr32(e, id);
		wr32(e + 4, len);
		q->used_idx++;
		wr16(used + 2, q->used_idx);
		irq = true;
	}
	raise_irq(s, q, irq);
}

void sim_set_used_idx(struct sim_dev *s, unsigned qi, uint16_t idx)
{
	struct sim_queue *q = queue(s, qi);
	q->used_idx = idx;
	wr16(P(q->device) + 2, idx);
}

void sim_set_no_notify(struct sim_dev *s, unsigned qi, bool on)
{
	wr16(P(queue(s, qi)->device), on ? 1 : 0);
}

void sim_set_avail_event(struct sim_dev *s, unsigned qi, uint16_t idx)
{
	struct sim_queue *q = queue(s, qi);
	q->auto_avail_event = false;
	wr16(P(q->device) + 4 + 8 * (size_t)q->size, idx);
}

void sim_set_device_event(struct sim_dev *s, unsigned qi, uint16_t flags, uint16_t off_wrap)
{
	uint8_t *e = P(queue(s, qi)->device);
	wr16(e, off_wrap);
	wr16(e + 2, flags);
}

void sim_set_needs_reset(struct sim_dev *s)
{
	s->status |= VIRTIO_STATUS_NEEDS_RESET;
	s->isr |= 2;
}

void sim_config_change(struct sim_dev *s, uint32_t off, const void *data, uint32_t len)
{
	if (off + len <= sizeof(s->config))
		memcpy(s->config + off, data, len);
	s->generation++;
	s->isr |= 2;
}

/* --- transport ops ------------------------------------------------------- */

struct sim_dev *sim_of(struct virtio_device *dev)
{
	return virtio_transport_priv(dev);
}

static void log_status(struct sim_dev *s, uint8_t v)
{
	if (s->nstatus_log < sizeof(s->status_log))
		s->status_log[s->nstatus_log++] = v;
}

static void device_reset(struct sim_dev *s)
{
	s->status = 0;
	s->driver_features = 0;
	s->isr = 0;
	s->config_vector = VIRTIO_NO_VECTOR;
	for (unsigned i = 0; i < s->nqueues; i++) {
		struct sim_queue *q = &s->q[i];
		q->ready = false;
		q->size = 0;
		q->last_avail = q->used_idx = 0;
		q->avail_pos = q->used_pos = 0;
		q->avail_wrap = q->used_wrap = true;
		q->vector = VIRTIO_NO_VECTOR;
		q->auto_avail_event = true;
		memset(q->outstanding, 0, sizeof(bool) * q->max_size);
	}
	if (s->on_reset)
		s->on_reset(s, s->notify_arg);
}

static uint8_t op_get_status(struct virtio_device *dev)
{
	return sim_of(dev)->status;
}

static void op_set_status(struct virtio_device *dev, uint8_t v)
{
	struct sim_dev *s = sim_of(dev);
	log_status(s, v);
	if (v == 0) {
		if (!s->reset_stuck)
			device_reset(s);
		return;
	}
	uint8_t cleared = (uint8_t)(s->status & ~v & ~VIRTIO_STATUS_NEEDS_RESET);
	if (cleared)
		drv_err(s, "status write 0x%x clears bits 0x%x", v, cleared);
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(s->status & VIRTIO_STATUS_FEATURES_OK)) {
		if (s->legacy)
			drv_err(s, "FEATURES_OK written to a legacy device");
		bool ok = !s->refuse_features && !(s->required_features & ~s->driver_features) &&
			  !(s->driver_features & ~s->offered);
		if (!ok)
			v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !s->legacy && !(v & VIRTIO_STATUS_FEATURES_OK))
		drv_err(s, "DRIVER_OK without FEATURES_OK");
	s->status = (uint8_t)(v | (s->status & VIRTIO_STATUS_NEEDS_RESET));
}

static int op_reset(struct virtio_device *dev)
{
	struct sim_dev *s = sim_of(dev);
	log_status(s, 0);
	if (s->reset_stuck)
		return -VSCSI_ETIMEDOUT;
	device_reset(s);
	return 0;
}

static uint64_t op_get_features(struct virtio_device *dev)
{
	struct sim_dev *s = sim_of(dev);
	return s->legacy ? (uint32_t)s->offered : s->offered;
}

static void op_set_features(struct virtio_device *dev, uint64_t f)
{
	struct sim_dev *s = sim_of(dev);
	if (s->status & VIRTIO_STATUS_FEATURES_OK)
		drv_err(s, "features written after FEATURES_OK");
	if (!(s->status & VIRTIO_STATUS_DRIVER))
		drv_err(s, "features written before DRIVER");
	if (f & ~s->offered)
		drv_err(s, "driver accepted bits 0x%llx that were not offered",
			(unsigned long long)(f & ~s->offered));
	if (f & (1ull << 30))
		drv_err(s, "driver accepted bit 30");
	if (s->legacy && (f >> 32))
		drv_err(s, "legacy driver wrote feature bits above 31");
	s->driver_features = f;
}

static uint32_t op_config_read(struct virtio_device *dev, uint32_t off, unsigned width)
{
	struct sim_dev *s = sim_of(dev);
	if ((width != 1 && width != 2 && width != 4) || off % width)
		drv_err(s, "config read of width %u at %u", width, off);
	if (s->gen_bump_reads) {
		s->gen_bump_reads--;
		s->generation++;
	}
	if (off + width > sizeof(s->config))
		return 0;
	uint32_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint32_t)s->config[off + i] << (8 * i);
	return v;
}

static void op_config_write(struct virtio_device *dev, uint32_t off, unsigned width, uint32_t v)
{
	struct sim_dev *s = sim_of(dev);
	if (!s->legacy && (s->status & VIRTIO_STATUS_DRIVER) &&
	    !(s->status & VIRTIO_STATUS_FEATURES_OK))
		drv_err(s, "config written during feature negotiation");
	if (off + width > sizeof(s->config))
		return;
	for (unsigned i = 0; i < width; i++)
		s->config[off + i] = (uint8_t)(v >> (8 * i));
	s->config_writes++;
}

static uint32_t op_config_generation(struct virtio_device *dev)
{
	return sim_of(dev)->generation;
}

static uint16_t op_queue_count(struct virtio_device *dev)
{
	struct sim_dev *s = sim_of(dev);
	return s->report_queue_count ? (uint16_t)s->nqueues : 0;
}

static uint16_t op_queue_max_size(struct virtio_device *dev, uint16_t idx)
{
	struct sim_dev *s = sim_of(dev);
	return idx < s->nqueues ? s->q[idx].max_size : 0;
}

static int op_queue_setup(struct virtio_device *dev, uint16_t idx, uint16_t size, uint64_t desc,
			  uint64_t driver, uint64_t device, uint16_t vector)
{
	struct sim_dev *s = sim_of(dev);
	if (idx >= s->nqueues)
		return drv_err(s, "setup of absent queue %u", idx), -VSCSI_EINVAL;
	struct sim_queue *q = &s->q[idx];
	bool packed = has(s, VIRTIO_F_RING_PACKED);
	if (!s->legacy && !(s->status & VIRTIO_STATUS_FEATURES_OK))
		drv_err(s, "queue %u set up before FEATURES_OK", idx);
	if (s->status & VIRTIO_STATUS_DRIVER_OK)
		drv_err(s, "queue %u set up after DRIVER_OK", idx);
	if (q->ready)
		drv_err(s, "queue %u set up twice without reset", idx);
	if (size == 0 || size > q->max_size || (s->fixed_size && size != q->max_size))
		drv_err(s, "queue %u size %u (max %u%s)", idx, size, q->max_size,
			s->fixed_size ? ", fixed" : "");
	if (!packed && (size & (size - 1)))
		drv_err(s, "split queue %u size %u not a power of 2", idx, size);
	if (desc % 16 || driver % (packed ? 4 : 2) || device % 4)
		drv_err(s, "queue %u areas misaligned", idx);
	if (s->msix_enabled) {
		if (s->reject_vectors || (vector != VIRTIO_NO_VECTOR && vector >= s->msix_vectors)) {
			q->vector = VIRTIO_NO_VECTOR;
			return -VSCSI_EIO;
		}
		q->vector = vector;
	} else if (vector != VIRTIO_NO_VECTOR) {
		drv_err(s, "queue %u vector %u without MSI-X", idx, vector);
	}
	q->size = size;
	q->desc = desc;
	q->driver = driver;
	q->device = device;
	q->ready = true;
	return 0;
}

static void op_queue_notify(struct virtio_device *dev, struct virtqueue *vq)
{
	struct sim_dev *s = sim_of(dev);
	unsigned idx = virtq_index(vq);
	if (idx >= s->nqueues || !s->q[idx].ready) {
		drv_err(s, "notify of queue %u that is not set up", idx);
		return;
	}
	if (!(s->status & VIRTIO_STATUS_DRIVER_OK))
		drv_err(s, "notify of queue %u before DRIVER_OK", idx);
	s->q[idx].notifies++;
	if (s->on_notify)
		s->on_notify(s, idx, s->notify_arg);
}

static uint8_t op_isr_read(struct virtio_device *dev)
{
	struct sim_dev *s = sim_of(dev);
	uint8_t v = s->isr;
	s->isr = 0;
	return v;
}

static int op_set_config_vector(struct virtio_device *dev, uint16_t vector)
{
	struct sim_dev *s = sim_of(dev);
	if (!s->msix_enabled || s->reject_vectors ||
	    (vector != VIRTIO_NO_VECTOR && vector >= s->msix_vectors)) {
		s->config_vector = VIRTIO_NO_VECTOR;
		return -VSCSI_EIO;
	}
	s->config_vector = vector;
	return 0;
}

static int op_msix_setup(struct virtio_device *dev, unsigned n, const uint64_t *addr,
			 const uint32_t *data)
{
	(void)addr;
	(void)data;
	struct sim_dev *s = sim_of(dev);
	if (n > s->msix_entries)
		return -VSCSI_ENOSPC;
	s->msix_enabled = true;
	s->msix_vectors = n;
	return 0;
}

static void op_msix_disable(struct virtio_device *dev)
{
	struct sim_dev *s = sim_of(dev);
	s->msix_enabled = false;
	s->msix_vectors = 0;
}

static unsigned op_msix_table_size(struct virtio_device *dev)
{
	return sim_of(dev)->msix_entries;
}

static bool op_stop_dma(struct virtio_device *dev)
{
	struct sim_dev *s = sim_of(dev);
	s->stop_dma_calls++;
	if (s->no_stop_dma)
		return false;
	s->dma_stopped = true;
	return true;
}

/* --- lifetime --------------------------------------------------------------- */

void sim_init(struct sim_dev *s, unsigned nqueues, uint16_t qsize, uint64_t features, bool legacy)
{
	memset(s, 0, sizeof(*s));
	if (nqueues > SIM_MAX_QUEUES)
		nqueues = SIM_MAX_QUEUES;
	s->nqueues = nqueues;
	s->report_queue_count = !legacy;
	s->legacy = legacy;
	s->fixed_size = legacy;
	s->offered = legacy ? (uint32_t)features : features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	s->config_vector = VIRTIO_NO_VECTOR;
	for (unsigned i = 0; i < nqueues; i++) {
		struct sim_queue *q = &s->q[i];
		q->max_size = qsize;
		q->chain_len = calloc(qsize ? qsize : 1, sizeof(uint16_t));
		q->outstanding = calloc(qsize ? qsize : 1, sizeof(bool));
	}
	device_reset(s);
	s->ops = (struct virtio_transport_ops){
		.name = legacy ? "sim-legacy" : "sim",
		.get_status = op_get_status,
		.set_status = op_set_status,
		.reset = op_reset,
		.get_features = op_get_features,
		.set_features = op_set_features,
		.config_read = op_config_read,
		.config_write = op_config_write,
		.config_generation = op_config_generation,
		.queue_count = op_queue_count,
		.queue_max_size = op_queue_max_size,
		.queue_setup = op_queue_setup,
		.queue_notify = op_queue_notify,
		.isr_read = op_isr_read,
		.set_config_vector = op_set_config_vector,
		.msix_setup = op_msix_setup,
		.msix_disable = op_msix_disable,
		.msix_table_size = op_msix_table_size,
		.stop_dma = op_stop_dma,
		.legacy = legacy,
		.fixed_queue_size = legacy,
	};
	s->nstatus_log = 0;
}

void sim_destroy(struct sim_dev *s)
{
	for (unsigned i = 0; i < s->nqueues; i++) {
		free(s->q[i].chain_len);
		free(s->q[i].outstanding);
		s->q[i].chain_len = NULL;
		s->q[i].outstanding = NULL;
	}
}

int sim_open(struct sim_dev *s, const struct vscsi_glue *g, const struct virtio_open_opts *opts,
	     struct virtio_device **out)
{
	int rc = virtio_open_transport(g, &s->ops, s,
				       s->legacy ? VIRTIO_TRANSPORT_PCI_LEGACY
						 : VIRTIO_TRANSPORT_PCI_MODERN,
				       "sim", 8, opts, out);
	if (!rc)
		s->vdev = *out;
	return rc;
}

int sim_start(struct sim_dev *s, const struct vscsi_glue *g, const struct virtio_open_opts *opts,
	      uint64_t wanted, unsigned nq, const struct virtq_request *req,
	      struct virtio_device **out)
{
	struct virtio_device *dev;
	int rc = sim_open(s, g, opts, &dev);
	if (rc)
		return rc;
	struct virtq_request defaults[SIM_MAX_QUEUES];
	memset(defaults, 0, sizeof(defaults));
	rc = virtio_negotiate(dev, wanted);
	if (!rc)
		rc = virtio_queues_create(dev, nq, req ? req : defaults);
	if (rc) {
		virtio_close(dev);
		s->vdev = NULL;
		return rc;
	}
	virtio_driver_ok(dev);
	*out = dev;
	return 0;
}
