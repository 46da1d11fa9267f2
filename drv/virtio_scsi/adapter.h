/*
 * adapter.h - the virtio-scsi host adapter, as the SCSI midlayer (drv/scsi)
 * sees it.
 *
 * The adapter is the device of virtio 1.2 §5.6: it brings the device up
 * (features, configuration, the control, event and request queues,
 * DRIVER_OK), carries SCSI commands to targets and LUNs addressed by
 * number and brings their completions back (virtio 1.2 §5.6.6.1), sends
 * task management functions and asynchronous-notification requests on the
 * control queue (virtio 1.2 §5.6.6.2), keeps the event queue stocked and
 * hands the events over (virtio 1.2 §5.6.6.3), and resets the device when
 * it must.
 *
 * It knows nothing of what the midlayer builds on top: no LUN structures,
 * names, scans, sense data, retries or escalation.  Where it has to reach
 * upward it does so through what the midlayer hands it:
 *   - a command's own `done` callback (struct vscsi_cmd), run when the
 *     device gave the command back or a reset reclaimed it;
 *   - an optional `unsigned *inflight` counter per command, which the
 *     adapter decrements when the command completes (the midlayer's
 *     per-LUN count of outstanding commands);
 *   - events are not pushed up: the midlayer pulls them with
 *     vs_adapter_next_event() when it is ready to act (never in interrupt
 *     context).
 *
 * Locking: each queue has its own lock, taken inside the adapter.  Queue
 * callbacks (interrupt context) only drain; the calls that wait (reset,
 * TMF, AN) spin on the device and are for thread context only.
 */
#ifndef VSCSI_DRV_VIRTIO_SCSI_ADAPTER_H
#define VSCSI_DRV_VIRTIO_SCSI_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/vscsi.h"

struct vs_adapter;    /* private to drv/virtio_scsi */
struct virtio_device; /* drv/virtio's: the midlayer only passes it along */

/* Sense bytes the adapter asks the device to return (the sense_size it
 * writes, virtio 1.2 §5.6.4): a buffer this big holds all of it. */
#define VS_SENSE_SIZE 96

/* --- bring-up and teardown (adapter.c) ------------------------------------ */

/* Open the virtio transport of a PCI function (modern, or legacy when
 * opts->prefer_legacy) or of a virtio-mmio window, with the interrupt
 * mode and feature veto of `opts` (may be NULL). */
int vs_adapter_open_pci(const struct vscsi_glue *glue, struct vscsi_pci_addr pci,
			const struct vscsi_opts *opts, struct virtio_device **dev);
int vs_adapter_open_mmio(const struct vscsi_glue *glue, uint64_t phys, uint32_t gsi,
			 const struct vscsi_opts *opts, struct virtio_device **dev);

/*
 * Bring up a device some transport already opened (virtio 1.2 §3.1.1 with
 * the virtio-scsi specifics of virtio 1.2 §5.6.4-5.6.5): negotiate features, read and
 * check the configuration, write cdb_size/sense_size if they differ from
 * ours, create the queues and the request pools, DRIVER_OK, post the
 * event buffers.  Uses feature_veto, max_request_queues, queue_depth and
 * event_buffers of `opts` (not NULL).  On failure the device is closed and nothing
 * stays allocated.
 */
int vs_adapter_attach(const struct vscsi_glue *glue, struct virtio_device *dev,
		      const struct vscsi_opts *opts, struct vs_adapter **out);
/* Close a device that was opened but will not be attached (its caller
 * failed first). */
void vs_adapter_close(struct virtio_device *dev);
/* The host number to put in log lines ("vscsi host0: ..."). */
void vs_adapter_set_host(struct vs_adapter *a, unsigned host);
/* Reset the device and fail every outstanding command with -VSCSI_ENODEV;
 * afterwards every command is refused.  The device keeps its memory.  A
 * reset that does not complete leaves the adapter dead (see below). */
void vs_adapter_stop(struct vs_adapter *a);
/* Close the device and free everything (after vs_adapter_stop), except
 * the memory a device that could not be reset may still write: that is
 * never freed. */
void vs_adapter_destroy(struct vs_adapter *a);

/* --- state and limits ---------------------------------------------------- */

/*
 * The device failed and could not be recovered: every command is refused
 * with -VSCSI_ENODEV at once (vs_adapter_check), every outstanding one has
 * completed with an error.  When the cause was a reset that never
 * completed, the device may still own buffers: its DMA is turned off where
 * the transport allows (PCI Bus Master Enable), and its rings, request
 * headers and the mappings of the commands it held are never freed or
 * reused.
 */
bool vs_adapter_is_dead(const struct vs_adapter *a);

/* What commands may carry and how many may be outstanding, from the
 * device configuration (virtio 1.2 §5.6.4) as the adapter applied it. */
struct vs_adapter_limits {
	uint32_t max_transfer;   /* bytes per command */
	unsigned max_segments;   /* data segments per command */
	unsigned request_slots;  /* commands all request queues hold at once */
	uint32_t cmd_per_lun;    /* outstanding commands per LUN the device allows */
	uint16_t max_target;     /* scan bounds, inclusive, as the device said */
	uint32_t max_lun;
};
void vs_adapter_get_limits(const struct vs_adapter *a, struct vs_adapter_limits *out);
/* Everything of vscsi_ctrl_info the adapter knows: transport, features,
 * configuration, queues, its counters.  Zeroes the rest. */
void vs_adapter_get_info(const struct vs_adapter *a, struct vscsi_ctrl_info *out);

/* --- servicing the device ------------------------------------------------- */

/* Drain the request and control queues and copy the events out: runs the
 * callbacks of completed commands.  Nothing happens during a reset. */
void vs_adapter_drain(struct vs_adapter *a);
/* vs_adapter_drain() after polling the device when it has no interrupts,
 * then a reset if the device asked for one (vs_adapter_recover). */
void vs_adapter_poll(struct vs_adapter *a);
/* If the device needs a reset (it broke a queue's protocol, or set
 * DEVICE_NEEDS_RESET, which is read from the device only when
 * `ask_device`), reset it; outstanding commands complete with
 * -VSCSI_ECONNRESET.  Returns true when a reset was made. */
bool vs_adapter_recover(struct vs_adapter *a, bool ask_device);
/* Full reset and re-initialisation (virtio 1.2 §3.1.1, §5.6.4: the
 * configuration is read again and our sizes written again): every
 * outstanding command completes with `err`.  0, -VSCSI_EBUSY when a reset
 * is already running, or the error that left the device dead. */
int vs_adapter_reset(struct vs_adapter *a, int err);

/* --- commands on the request queues (request.c) -------------------------- */

/* What vs_adapter_check() found about a command, for vs_adapter_submit(). */
struct vs_cmd_plan {
	unsigned target, lun;
	size_t bytes;            /* data bytes the command transfers */
	uint64_t deadline_ns;    /* set by the caller: when vs_adapter_expired()
				    reports it (0: never; blocking callers wait
				    themselves) */
};
/*
 * Check a command against the device before anything is taken: the
 * adapter is alive and not resetting, target <= 255 and LUN <= 16383 (the
 * addressing of virtio 1.2 §5.6.6.1), the CDB fits cdb_size, the data
 * list describes the bytes and direction it claims, no more than
 * max_transfer.  Sets cmd->tag to 0 (it stays 0 unless the command reaches
 * the device).  0 and *plan filled, or ENODEV, EAGAIN, EINVAL, E2BIG.
 */
int vs_adapter_check(const struct vs_adapter *a, unsigned target, unsigned lun,
		     struct vscsi_cmd *cmd, struct vs_cmd_plan *plan);
/*
 * Send a checked command: take a request slot, build the descriptor chain
 * (header, data-out | response, data-in), publish it and notify the
 * device unless `flags` has VSCSI_SUBMIT_NO_KICK.  On 0 the command is
 * the device's: cmd->done runs at completion, and `inflight` (may be
 * NULL) is decremented just before.  On an error nothing was sent and
 * nothing is left to undo (EAGAIN: no slot or no ring room; EFAULT,
 * E2BIG: the data could not be mapped; EIO: the queue is broken).
 */
int vs_adapter_submit(struct vs_adapter *a, struct vscsi_cmd *cmd, const struct vs_cmd_plan *plan,
		      unsigned flags, unsigned *inflight);
/* Notify the device of commands submitted with VSCSI_SUBMIT_NO_KICK. */
void vs_adapter_kick(struct vs_adapter *a);
/* True once the command completed (its callback has run or is running). */
bool vs_adapter_cmd_done(const struct vscsi_cmd *cmd);

/* Where an outstanding command went, for task management. */
struct vs_cmd_address {
	unsigned target, lun;
	uint64_t tag;
	uint8_t opcode;          /* for log lines */
};
/*
 * The caller stopped waiting for `cmd`: whatever the device answers later,
 * the command completes with -VSCSI_ETIMEDOUT, and its request slot is
 * marked as being aborted.  Returns false when the command has already
 * completed; else fills *where for ABORT TASK, with *mine true when the
 * caller is the one to escalate (false: another caller, the poll path,
 * already does; wait for the command).
 */
bool vs_adapter_time_out(struct vs_adapter *a, struct vscsi_cmd *cmd,
			 struct vs_cmd_address *where, bool *mine);
/*
 * An asynchronous command whose deadline (vs_cmd_plan.deadline_ns) passed
 * at `now`: marked as vs_adapter_time_out() marks it (it will complete
 * with -VSCSI_ETIMEDOUT) and its address filled in; one per call, false
 * when there is none.  The scan runs at most every few milliseconds.  The
 * command itself is not handed out: it belongs to its submitter, who may
 * free it the moment it completes.
 */
bool vs_adapter_expired(struct vs_adapter *a, uint64_t now, struct vs_cmd_address *where);
/* Whether the command sent with where->tag is still with the device. */
bool vs_adapter_outstanding(struct vs_adapter *a, const struct vs_cmd_address *where);
/* A reset is in progress (its outstanding commands complete at its end). */
bool vs_adapter_resetting(const struct vs_adapter *a);

/* --- the control queue (control.c) --------------------------------------- */

/*
 * One task management function (virtio 1.2 §5.6.6.2), waited for at most
 * `timeout_ms` (0: 10 s); afterwards every request queue is drained,
 * because the device completes the affected commands before the TMF.
 * Same contract as vscsi_tmf().
 */
int vs_adapter_tmf(struct vs_adapter *a, unsigned target, unsigned lun, enum vscsi_tmf tmf,
		   uint64_t tag, uint32_t timeout_ms, uint8_t *response);
/* Asynchronous notification query (subscribe false) or subscribe. */
int vs_adapter_an(struct vs_adapter *a, bool subscribe, unsigned target, unsigned lun,
		  uint32_t events, uint32_t *actual, uint8_t *response);

/* --- the event queue (events.c) -------------------------------------------- */

/* Event types and TRANSPORT_RESET reasons (virtio 1.2 §5.6.6.3); the values
 * are the device's. */
enum vs_event_type {
	VS_EVENT_NONE = 0,
	VS_EVENT_TRANSPORT_RESET = 1,
	VS_EVENT_ASYNC_NOTIFY = 2,
	VS_EVENT_PARAM_CHANGE = 3,
};
enum vs_event_reset_reason {
	VS_EVENT_RESET_HARD = 0,    /* the LUN was reset and is still there */
	VS_EVENT_RESET_RESCAN = 1,  /* a LUN or (for LUN 0) a target appeared */
	VS_EVENT_RESET_REMOVED = 2, /* a LUN or (for LUN 0) a target went away */
};

/* One event, decoded. */
struct vs_adapter_event {
	uint32_t event;          /* enum vs_event_type, or a type this driver does not know */
	bool missed;             /* EVENTS_MISSED: the device dropped events before this one */
	uint32_t reason;         /* as sent */
	bool addressed;          /* the LUN field decoded into target and lun */
	unsigned target, lun;    /* 0 unless addressed */
	uint8_t asc, ascq;       /* PARAM_CHANGE: the additional sense code in `reason` */
};
/* Cheap, unlocked: whether vs_adapter_next_event() may have something.  A
 * stale "no" only defers the events to the next call. */
bool vs_adapter_events_pending(const struct vs_adapter *a);
/*
 * Take the oldest event copied out of the event queue.  *lost is set when
 * events were dropped because the driver's own pending list was full
 * (to be handled like EVENTS_MISSED); it is cleared once reported.
 * Returns true when *ev was filled.
 */
bool vs_adapter_next_event(struct vs_adapter *a, struct vs_adapter_event *ev, bool *lost);

#endif
