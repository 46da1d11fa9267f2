/*
 * internal.h - the virtio-scsi layer's own structures: controller, request
 * queues and their request pools, control and event queues, the LUN table.
 * Shared by the files of drv/scsi (and read by drv/blk through the few
 * functions at the end); never by the embedding OS.
 */
#ifndef VSCSI_DRV_SCSI_INTERNAL_H
#define VSCSI_DRV_SCSI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/vscsi.h"
#include "vscsi/scsi.h"
#include "virtio/virtio.h"
#include "util/util.h"
#include "scsi/wire.h"

/*
 * Life of one request slot (the FreeBSD vtscsi model): FREE -> INFLIGHT
 * when handed to the device; ABORTING while an ABORT TASK for it is out;
 * TIMEDOUT once a blocking caller gave up on it (its completion, whenever
 * it comes, reports ETIMEDOUT); DONE between the used ring and the slot's
 * return to the free list.  A slot is reused only after the device gave
 * it back (used ring) or a device reset reclaimed it, so the device can
 * never write into a request that belongs to someone else.
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
	struct vscsi_lun *lun;      /* for cmd_per_lun accounting; may be NULL */
	uint8_t target;
	uint16_t lun_id;
	uint8_t *hdr;               /* req_size bytes, device-readable */
	uint64_t hdr_bus;
	uint8_t *resp;              /* resp_size bytes, device-writable */
	uint64_t resp_bus;
	struct virtq_buf *bufs;     /* [max_segs + 2]: header, data, response */
	unsigned nseg;              /* data segments mapped */
	enum vscsi_dma_dir dma_dir;
	uint64_t start_ns;
};

/* One request queue (virtqueue 2 + index) with its own pool and lock. */
struct vs_queue {
	struct vscsi_ctrl *ctrl;
	struct virtqueue *vq;
	unsigned vq_index;
	void *lock;
	struct vs_req *reqs;
	unsigned nreqs;
	struct vs_req *free;
	unsigned inflight;
	unsigned max_segs;
	bool kick_pending;
	/* allocations, for vscsi_remove */
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
 * (interrupt-safe) and acted on later from vscsi_poll. */
#define VS_EVT_MAX_BUFS 32
#define VS_EVT_STRIDE 64            /* one cache line per buffer */
#define VS_EVT_PENDING 64
#define VS_EVT_HISTORY 32
struct vs_evq {
	struct virtqueue *vq;
	void *lock;
	unsigned nbufs;
	uint32_t buf_len;           /* bytes offered to the device per buffer */
	uint8_t *mem;
	uint64_t mem_bus;
	size_t mem_size;
	struct virtio_scsi_event pending[VS_EVT_PENDING];
	unsigned pend_head, pend_tail; /* free-running */
	bool pend_overflow;          /* treat as EVENTS_MISSED */
	struct vscsi_event history[VS_EVT_HISTORY];
	unsigned hist_count;
};

struct vscsi_lun {
	struct vscsi_ctrl *ctrl;
	struct vscsi_lun *next;     /* controller's list, sorted by target, LUN */
	struct vscsi_lun_info info;
	unsigned inflight;          /* commands outstanding (<= queue_depth) */
	int name_index;             /* -1: no name */
	bool seen;                  /* found by the scan in progress */
	uint32_t vpd_max_xfer_blocks; /* VPD B0h MAXIMUM TRANSFER LENGTH, 0: none */
	void *upper;                /* drv/blk's per-device state */
	void (*upper_release)(struct vscsi_lun *l); /* frees `upper` with the LUN */
};

struct vscsi_ctrl {
	const struct vscsi_glue *glue;
	struct virtio_device *dev;
	struct vscsi_opts opts;
	struct vscsi_ctrl *next;    /* global list, probe order */
	unsigned host;
	void *lock;                 /* LUN table, counters */

	/* device configuration (virtio 1.2 §5.6.4) */
	uint32_t num_queues, seg_max, max_sectors, cmd_per_lun, event_info_size;
	uint32_t sense_size, cdb_size;
	uint16_t max_channel, max_target;
	uint32_t max_lun;
	uint32_t req_size, resp_size; /* header lengths that follow from them */
	uint32_t max_transfer;        /* bytes per command */

	struct vs_queue *rq;        /* request queues */
	unsigned nrq;
	unsigned rr;                /* round-robin queue choice */
	struct vs_ctlq ctl;
	struct vs_evq evq;

	struct vscsi_lun *luns;
	bool dead;
	bool resetting;
	volatile bool needs_reset;  /* config interrupt saw NEEDS_RESET */
	bool in_events;             /* event handling running: no nesting */
	bool scanning;

	struct vscsi_ctrl_info stats; /* counters part only */
};

/* --- controller.c ------------------------------------------------------ */
/* Bring up a virtio device some transport already opened (the probe
 * functions end here; unit tests enter here with the simulated device).
 * On failure the device is closed. */
int vs_probe_device(const struct vscsi_glue *glue, struct virtio_device *dev,
		    const struct vscsi_opts *opts, struct vscsi_ctrl **out);
extern struct vscsi_ctrl *vs_ctrl_list;
uint64_t vs_now(const struct vscsi_ctrl *c);
uint32_t vs_timeout_ms(const struct vscsi_ctrl *c, uint32_t ms);
/* Re-post every event buffer (after DRIVER_OK, after a reset). */
void vs_event_post_all(struct vscsi_ctrl *c);
/* Device reset + re-init; outstanding requests complete with `err`. */
int vs_ctrl_reset_internal(struct vscsi_ctrl *c, int err);

/* --- request.c ------------------------------------------------------------ */
int vs_queue_init(struct vscsi_ctrl *c, struct vs_queue *q, unsigned vq_index,
		  unsigned depth);
void vs_queue_free(struct vscsi_ctrl *c, struct vs_queue *q);
int vs_submit(struct vscsi_ctrl *c, unsigned target, unsigned lun_id, struct vscsi_lun *lun,
	      struct vscsi_cmd *cmd, unsigned flags);
/* Whether a queue may hold work for a drain: used buffers, or a fault the
 * drain must report.  Read without the queue's lock so that a poll pass
 * with nothing to do takes none; used.idx is the device's word (virtio 1.2
 * §2.7.8), and a stale "no" only leaves the work to the next pass or the
 * next interrupt, which comes after the device's used.idx store. */
static inline bool vs_vq_pending(struct virtqueue *vq)
{
	return virtq_is_broken(vq) || virtq_has_used(vq);
}

/* Drain one request queue / all of them (no event handling). */
unsigned vs_queue_drain(struct vs_queue *q);
unsigned vs_drain_requests(struct vscsi_ctrl *c);
/* Everything but event processing: request, control and event queues. */
void vs_drain_all(struct vscsi_ctrl *c);
/* After a device reset: complete every reclaimed request with `err`. */
void vs_queue_reclaim(struct vs_queue *q, struct vs_req **list);
void vs_complete_reclaimed(struct vscsi_ctrl *c, struct vs_req *list, int err);
/* Decode a response header into `cmd` (pure: unit-tested). */
void vs_decode_response(const uint8_t *resp, uint32_t sense_size, uint32_t data_len,
			struct vscsi_cmd *cmd);
int vs_response_errno(uint8_t response);
int vs_status_errno(uint8_t status);
bool vs_cmd_is_done(const struct vscsi_cmd *cmd);
struct vs_req *vs_cmd_req(const struct vscsi_cmd *cmd);

/* --- tmf.c ---------------------------------------------------------------- */
int vs_ctl_init(struct vscsi_ctrl *c);
void vs_ctl_free(struct vscsi_ctrl *c);
void vs_ctl_drain(struct vscsi_ctrl *c);
void vs_ctl_reclaim(struct vscsi_ctrl *c);

/* --- recovery.c -------------------------------------------------------------- */
/* Wait for `cmd` (submitted); escalate on timeout.  Returns cmd->result. */
int vs_wait(struct vscsi_ctrl *c, struct vscsi_cmd *cmd, uint32_t timeout_ms);

/* --- lun.c ----------------------------------------------------------------- */
void vs_lun_encode(uint8_t out[8], unsigned target, unsigned lun);
/* Decode the LUN bytes of an event / TMF: returns 0 and target/lun, or
 * -VSCSI_EINVAL for addressing the driver does not use. */
int vs_lun_decode(const uint8_t in[8], unsigned *target, unsigned *lun);
/* Linux-style disk names: 0 -> "sda", 25 -> "sdz", 26 -> "sdaa" ... */
void vs_disk_name(unsigned index, char *buf, size_t cap);
/* Device table. */
struct vscsi_lun *vs_lun_lookup(struct vscsi_ctrl *c, unsigned target, unsigned lun);
struct vscsi_lun *vs_lun_get(struct vscsi_ctrl *c, unsigned target, unsigned lun);
void vs_lun_assign_name(struct vscsi_lun *l);
void vs_lun_release_name(struct vscsi_lun *l);
void vs_lun_mark_gone(struct vscsi_lun *l);
void vs_notify_change(struct vscsi_lun *l, enum vscsi_change what);

/* --- scan.c ------------------------------------------------------------------ */
int vs_scan(struct vscsi_ctrl *c);
int vs_scan_target(struct vscsi_ctrl *c, unsigned target, bool remove_missing);
int vs_scan_lun(struct vscsi_ctrl *c, unsigned target, unsigned lun);
/* Parse VPD pages into `info` (pure: unit-tested). */
void vs_parse_inquiry(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_vpd_b0(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_vpd_b2(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_vpd_83(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_vpd_80(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_capacity16(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
/* MODE SENSE(6) or (10) data: WP, DPOFUA, caching WCE. */
void vs_parse_mode(const uint8_t *d, uint32_t got, bool ten, struct vscsi_lun_info *info);

/* --- events.c ------------------------------------------------------------------ */
int vs_evq_init(struct vscsi_ctrl *c);
void vs_evq_free(struct vscsi_ctrl *c);
void vs_evq_drain(struct vscsi_ctrl *c);
void vs_events_process(struct vscsi_ctrl *c);

/* --- for drv/blk ------------------------------------------------------------------ */
static inline void **vs_lun_upper(struct vscsi_lun *l) { return &l->upper; }
static inline const struct vscsi_glue *vs_ctrl_glue(const struct vscsi_ctrl *c)
{
	return c->glue;
}

#endif
