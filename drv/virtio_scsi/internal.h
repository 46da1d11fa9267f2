/*
 * internal.h - what the files of drv/virtio_scsi share with each other (and
 * with the unit tests): the adapter structure, the request queues with
 * their pools of request slots, the control and event queues, and the
 * functions one file of the adapter calls in another.  Nothing above
 * drv/virtio_scsi includes this file: the midlayer sees adapter.h only.
 */
#ifndef VSCSI_DRV_VIRTIO_SCSI_INTERNAL_H
#define VSCSI_DRV_VIRTIO_SCSI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/vscsi.h"
#include "vscsi/scsi.h"
#include "virtio/virtio.h"
#include "util/util.h"
#include "virtio_scsi/wire.h"
#include "virtio_scsi/adapter.h"

/*
 * Life of one request slot (the FreeBSD vtscsi model): FREE -> INFLIGHT
 * when handed to the device; ABORTING while an ABORT TASK for it is out;
 * TIMEDOUT once a blocking caller gave up on it (its completion, whenever
 * it comes, reports ETIMEDOUT); DONE between the used ring and the slot's
 * return to the free list.  A slot is reused only after the device gave
 * it back (used ring) or a device reset reclaimed it, so the device can
 * never write into a request that belongs to someone else.  When a reset
 * does not complete, the requests the device holds are abandoned: their
 * callers get an error, but the slots (and the mappings of their data)
 * are never used again, because the device may still write them.
 */
enum vs_req_state {
	VS_REQ_FREE = 0,
	VS_REQ_INFLIGHT,
	VS_REQ_ABORTING,
	VS_REQ_TIMEDOUT,
	VS_REQ_DONE,
};

struct vs_queue;

struct vs_req {
	struct vs_queue *q;
	struct vs_req *next;        /* free list, or a completion batch */
	uint16_t slot;
	enum vs_req_state state;
	bool timed_out;             /* report ETIMEDOUT whatever the device says */
	uint64_t gen;               /* uses of this slot: part of the tag */
	uint64_t tag;
	struct vscsi_cmd *cmd;
	unsigned *inflight;         /* the submitter's counter, decremented at completion */
	uint8_t target;
	uint16_t lun_id;
	uint8_t *hdr;               /* req_size bytes, device-readable */
	uint64_t hdr_bus;
	uint8_t *resp;              /* resp_size bytes, device-writable */
	uint64_t resp_bus;
	struct virtq_buf *bufs;     /* [max_segs + 2]: header, data, response */
	unsigned n_out, n_in;       /* the chain: readable buffers, then writable ones */
	unsigned nseg;              /* data segments mapped */
	enum vscsi_dma_dir dma_dir;
	uint64_t start_ns;
	uint64_t deadline_ns;       /* asynchronous: when vscsi_poll escalates (0: never) */
	bool abandoned;             /* the device could not be reset while it held
				       this request: never unmapped, never reused */
};

/* One request queue (virtqueue 2 + index) with its own pool and lock. */
struct vs_queue {
	struct vs_adapter *adapter;
	struct virtqueue *vq;
	unsigned vq_index;
	void *lock;
	struct vs_req *reqs;
	unsigned nreqs;
	struct vs_req *free;
	unsigned inflight;
	unsigned max_segs;
	bool kick_pending;
	uint64_t next_deadline_scan; /* vs_adapter_expired: not before this time */
	/* allocations, for vs_queue_free */
	void *hdr_mem, *req_mem, *buf_mem;
	size_t hdr_mem_size, req_mem_size, buf_mem_size;
};

/* Control queue: a few slots of TMF or AN requests (exactly 24+1 or
 * 16+5 bytes each, no payload: virtio 1.2 §5.6.6.2). */
#define VS_CTL_SLOTS 4
struct vs_ctl_slot {
	bool busy;                  /* in the device's hands (or abandoned there) */
	bool done;
	bool failed;                /* reclaimed by a reset: no answer */
	uint8_t *out;               /* 24 bytes (TMF) or 16 (AN) */
	uint64_t out_bus;
	uint8_t *in;                /* 1 byte (TMF) or 5 (AN) */
	uint64_t in_bus;
};
struct vs_ctlq {
	struct virtqueue *vq;
	void *lock;
	struct vs_ctl_slot slot[VS_CTL_SLOTS];
	void *mem;
	size_t mem_size;
};

/* Event queue: buffers kept posted, events copied out of them at once
 * (interrupt-safe) and handed to the midlayer later. */
#define VS_EVT_MAX_BUFS 32
#define VS_EVT_STRIDE 64            /* one cache line per buffer */
#define VS_EVT_PENDING 64
struct vs_evq {
	struct virtqueue *vq;
	void *lock;
	unsigned nbufs;
	uint32_t buf_len;           /* bytes offered to the device per buffer */
	uint32_t unposted;          /* buffers (bit i) not with the device: posted
				       again from vs_adapter_poll */
	uint8_t *mem;
	uint64_t mem_bus;
	size_t mem_size;
	struct virtio_scsi_event pending[VS_EVT_PENDING];
	unsigned pend_head, pend_tail; /* free-running */
	bool pend_overflow;          /* treat as EVENTS_MISSED */
};

struct vs_adapter {
	const struct vscsi_glue *glue;
	struct virtio_device *dev;
	unsigned host;              /* for log lines */
	/* what the embedding OS asked for (struct vscsi_opts) */
	uint64_t feature_veto;
	unsigned max_request_queues, queue_depth, event_buffers;

	/* device configuration (virtio 1.2 §5.6.4): `config` exactly as last
	 * read, the fields below as the driver uses them (zeros replaced, the
	 * sizes it wrote) */
	struct vscsi_virtio_scsi_config config;
	uint32_t num_queues, seg_max, max_sectors, cmd_per_lun, event_info_size;
	uint32_t sense_size, cdb_size;
	uint16_t max_channel, max_target;
	uint32_t max_lun;
	uint32_t req_size, resp_size; /* header lengths that follow from them */
	uint32_t max_transfer;        /* bytes per command */

	struct vs_queue *rq;        /* request queues */
	unsigned nrq;
	unsigned rq_alloc;          /* entries allocated at rq (nrq may be fewer) */
	unsigned rr;                /* round-robin queue choice */
	struct vs_ctlq ctl;
	struct vs_evq evq;

	bool dead;
	bool dma_kept;              /* dead without a reset: the device may still own
				       its buffers, whose memory is never freed */
	bool resetting;
	volatile bool needs_reset;  /* a queue broke, or the config interrupt saw NEEDS_RESET */

	/* counters, for vscsi_ctrl_info */
	uint64_t commands, errors, aborts, lun_resets, nexus_resets, device_resets;
	uint64_t event_repost_failures;
};

/* Whether a queue may hold work for a drain: used buffers, or a fault the
 * drain must report.  Read without the queue's lock so that a poll pass
 * with nothing to do takes none; used.idx is the device's word (virtio 1.2
 * §2.7.8), and a stale "no" only leaves the work to the next pass or the
 * next interrupt, which comes after the device's used.idx store. */
static inline bool vs_vq_pending(struct virtqueue *vq)
{
	return virtq_is_broken(vq) || virtq_has_used(vq);
}

/* --- address.c: the LUN field of virtio 1.2 §5.6.6.1 -------------------------- */
/* {1, target, flat-space LUN, 0...}: the 8 bytes every request carries. */
void vs_lun_encode(uint8_t out[8], unsigned target, unsigned lun);
/* Decode the LUN bytes of an event: 0 with target/lun, or -VSCSI_EINVAL
 * for addressing the driver does not use. */
int vs_lun_decode(const uint8_t in[8], unsigned *target, unsigned *lun);

/* --- request.c ---------------------------------------------------------------- */
int vs_queue_init(struct vs_adapter *a, struct vs_queue *q, unsigned vq_index, unsigned depth);
void vs_queue_free(struct vs_adapter *a, struct vs_queue *q);
/* Drain one request queue / all of them: runs the completion callbacks. */
unsigned vs_queue_drain(struct vs_queue *q);
unsigned vs_drain_requests(struct vs_adapter *a);
/* After a device reset: take every request the device held, then complete
 * them with `err` (callbacks run) once the device works again. */
void vs_queue_reclaim(struct vs_queue *q, struct vs_req **list);
void vs_complete_reclaimed(struct vs_adapter *a, struct vs_req *list, int err);
/* The device could not be reset: take every request it holds without its
 * cooperation, marked abandoned (their data is never unmapped, their
 * slots never reused); complete them with vs_complete_reclaimed. */
void vs_queue_abandon(struct vs_queue *q, struct vs_req **list);
/* Decode a response header into `cmd` (pure: unit-tested). */
void vs_decode_response(const uint8_t *resp, uint32_t sense_size, uint32_t data_len,
			struct vscsi_cmd *cmd);
/* virtio response code / SAM status -> the errno of vscsi_cmd.result. */
int vs_response_errno(uint8_t response);
int vs_status_errno(uint8_t status);

/* --- control.c ------------------------------------------------------------------ */
int vs_ctl_init(struct vs_adapter *a);
void vs_ctl_free(struct vs_adapter *a);
void vs_ctl_drain(struct vs_adapter *a);
void vs_ctl_reclaim(struct vs_adapter *a);
/* The device could not be reset: every waiter gets an error, no slot is
 * used again. */
void vs_ctl_abandon(struct vs_adapter *a);

/* --- events.c -------------------------------------------------------------------- */
int vs_evq_init(struct vs_adapter *a);
void vs_evq_free(struct vs_adapter *a);
void vs_evq_drain(struct vs_adapter *a);
/* Post every event buffer (after DRIVER_OK, after a reset). */
void vs_evq_post_all(struct vs_adapter *a);
/* Post the buffers that could not be posted when they came back. */
void vs_evq_repost(struct vs_adapter *a);

#endif
