/*
 * vscsi.h - the virtio-scsi driver's public API: probing controllers,
 * the table of SCSI devices (LUNs) they carry, sending SCSI commands,
 * task management functions, events and rescans.
 *
 * Everything here is plain C11 with no libc: include it from the
 * embedding OS.  Calls return 0 (or a count) on success and a negative
 * VSCSI_E* code (errors.h) on failure.
 *
 * Completion model: commands complete when the driver drains the used
 * rings, which happens in vscsi_poll() and, with interrupts, in the
 * virtio interrupt callback (interrupt context: see the locking rule in
 * glue.h).  Blocking helpers (vscsi_exec* and the block API) spin on
 * vscsi_poll-style draining with a timeout themselves.  Events (hot-plug,
 * capacity change) and the deadlines of asynchronous commands are only
 * acted on from vscsi_poll(), never from interrupt context: call it from
 * an idle loop.
 */
#ifndef VSCSI_VSCSI_H
#define VSCSI_VSCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/errors.h"
#include "vscsi/glue.h"

struct vscsi_ctrl; /* one virtio-scsi function (a SCSI host adapter) */
struct vscsi_lun;  /* one logical unit found by a scan */

/* --- probing ------------------------------------------------------------- */

/* How completions reach the driver; the values equal the virtio layer's. */
enum vscsi_intr_mode {
	VSCSI_INTR_AUTO = 0, /* MSI-X if possible, else INTx, else polling */
	VSCSI_INTR_MSIX,
	VSCSI_INTR_INTX,
	VSCSI_INTR_POLL,     /* no interrupts: vscsi_poll() drives everything */
};

struct vscsi_opts {
	enum vscsi_intr_mode intr;
	bool prefer_legacy;         /* use the legacy I/O BAR of a transitional device */
	uint64_t feature_veto;      /* virtio feature bits the driver must not accept */
	unsigned max_request_queues; /* 0: every request queue the device has */
	unsigned queue_depth;       /* requests per request queue; 0: queue size (max 256) */
	unsigned event_buffers;     /* eventq buffers kept posted; 0: 8 */
	/* Scan bounds (inclusive), further limited by the device's config;
	 * -1 (all ones) means "as the device says". */
	uint32_t scan_max_target;
	uint32_t scan_max_lun;
	unsigned seq_scan_luns;     /* LUNs 0..n-1 tried when REPORT LUNS fails; 0: 8 */
	bool no_scan;               /* probe without scanning (call vscsi_rescan later) */
	uint32_t cmd_timeout_ms;    /* every command (blocking or not) without its own
				       timeout_ms; 0: 30000 */
	uint32_t recovery_step_ms;  /* each rung of the timeout ladder: for the TMF's
				       answer, then for the command to come back;
				       0: 5000 */
	int verbose;                /* 0 quiet, 1 one line per device, 2 every step */
};

/* Fill `o` with the defaults (AUTO interrupts, all queues, full scan). */
void vscsi_opts_default(struct vscsi_opts *o);

/*
 * Attach to a virtio-scsi device, bring it up (virtio 1.2 §3.1.1 and
 * virtio 1.2 §5.6), and scan it unless opts->no_scan.  `opts` may be NULL for the
 * defaults.  The controller is added to the global list in probe order;
 * its host number is its position (host0, host1 ...).  `glue` must stay
 * valid for the controller's life.
 */
int vscsi_probe_pci(const struct vscsi_glue *glue, struct vscsi_pci_addr pci,
		    const struct vscsi_opts *opts, struct vscsi_ctrl **out);
int vscsi_probe_mmio(const struct vscsi_glue *glue, uint64_t phys, uint32_t gsi,
		     const struct vscsi_opts *opts, struct vscsi_ctrl **out);
/* Reset the device, fail what is outstanding, free everything.  LUN
 * pointers of this controller become invalid. */
void vscsi_remove(struct vscsi_ctrl *ctrl);

/* Drain every queue of the controller, run completion callbacks, and act
 * on pending events (rescans).  Safe to call at any time except from a
 * completion callback. */
void vscsi_poll(struct vscsi_ctrl *ctrl);
/* vscsi_poll() on every controller. */
void vscsi_poll_all(void);

/* Controllers in probe order: pass NULL to get the first. */
struct vscsi_ctrl *vscsi_ctrl_next(struct vscsi_ctrl *prev);
struct vscsi_ctrl *vscsi_ctrl_by_host(unsigned host);

/* What a controller is and what its device said in config space
 * (virtio 1.2 §5.6.4). */
struct vscsi_ctrl_info {
	unsigned host;             /* Linux-style host number */
	const char *location;      /* "0000:00:03.0" or "mmio@0x..." */
	const char *transport;     /* "pci-modern", "pci-legacy", "mmio-v1", "mmio-v2" */
	enum vscsi_intr_mode intr; /* what was actually set up */
	uint64_t offered_features, features;
	/* The device configuration exactly as read at bring-up (virtio 1.2
	 * §5.6.4), before the driver wrote cdb_size/sense_size or replaced a
	 * zero or absurd value. */
	struct vscsi_virtio_scsi_config {
		uint32_t num_queues, seg_max, max_sectors, cmd_per_lun, event_info_size;
		uint32_t sense_size, cdb_size;
		uint16_t max_channel, max_target;
		uint32_t max_lun;
	} config;
	/* What the driver derived from it and uses: the same fields after the
	 * corrections (seg_max 0 -> 1, max_sectors 0 -> 65535, cmd_per_lun
	 * 0 -> 1, the sizes the device accepted) ... */
	uint32_t num_queues, seg_max, max_sectors, cmd_per_lun, event_info_size;
	uint32_t sense_size, cdb_size;
	uint16_t max_channel, max_target;
	uint32_t max_lun;
	/* ... and the queues and per-command limits */
	unsigned request_queues;   /* request queues in use (queues 2..) */
	unsigned queue_size;       /* of the first request queue */
	unsigned requests_per_queue;
	unsigned max_segments;     /* data segments per command */
	uint32_t max_transfer;     /* bytes per command */
	bool dead;                 /* the device failed and could not be recovered:
				      every command is refused with ENODEV */
	unsigned in_flight;        /* commands on the request queues now: handed to the
				      device and not completed yet */
	/* counters */
	uint64_t commands, errors; /* errors: failed commands, "no such target/LUN" excluded */
	uint64_t timeouts;         /* commands past their deadline */
	uint64_t aborts;           /* ABORT TASK / ABORT TASK SET / CLEAR TASK SET sent */
	uint64_t lun_resets;       /* LOGICAL UNIT RESET sent */
	uint64_t nexus_resets;     /* I_T NEXUS RESET sent */
	uint64_t device_resets;    /* device resets (virtio 1.2 §2.4) started */
	uint64_t event_repost_failures; /* event buffers that could not be posted at once
					   (posted again from vscsi_poll) */
	uint64_t events, events_missed, rescans;
	uint64_t last_scan_ns;     /* duration of the last full scan */
};
void vscsi_ctrl_get_info(const struct vscsi_ctrl *ctrl, struct vscsi_ctrl_info *out);

/* --- the device table ------------------------------------------------------ */

/* A VPD 83h designator (SPC-4 §7.8.6), kept for by-id names. */
struct vscsi_designator {
	uint8_t code_set;    /* 1 binary, 2 ASCII, 3 UTF-8 */
	uint8_t type;        /* 1 T10 vendor id, 2 EUI-64, 3 NAA, 8 SCSI name ... */
	uint8_t association; /* 0 LUN, 1 target port, 2 target device */
	uint8_t len;
	uint8_t id[64];      /* truncated at 64 bytes */
};

#define VSCSI_MAX_DESIGNATORS 4

struct vscsi_lun_info {
	char name[12];           /* "sda", "sr0"; "" for other device types */
	char sg_name[12];        /* "sg0", "sg1" ...: every LUN, in scan order (Linux's sg) */
	unsigned host, channel, target, lun;
	uint8_t type;            /* peripheral device type (0 disk, 5 CD/DVD ...) */
	uint8_t scsi_version;    /* INQUIRY byte 2 */
	char vendor[9], model[17], rev[5]; /* trailing blanks removed */
	bool removable;          /* RMB */
	bool read_only;          /* MODE SENSE WP bit */
	bool medium;             /* false: no medium (CD tray empty) */
	bool gone;               /* hot-unplugged; kept so pointers stay valid */
	bool ready;              /* TEST UNIT READY succeeded during the last scan */
	uint64_t blocks;         /* capacity in logical blocks */
	uint32_t block_size;     /* logical block length in bytes */
	uint32_t phys_block_size;
	bool lbpme, lbprz;       /* READ CAPACITY(16): thin provisioning */
	bool dpofua;             /* MODE SENSE: FUA is honoured */
	bool write_cache;        /* caching page WCE, when read */
	/* VPD pages */
	uint8_t vpd_pages[32];   /* supported pages (VPD 00h), truncated */
	unsigned n_vpd_pages;
	char serial[65];         /* VPD 80h, trailing blanks removed */
	struct vscsi_designator desig[VSCSI_MAX_DESIGNATORS];
	unsigned n_desig;
	char wwn[40];            /* "0x5000c500..." from an NAA designator, else "" */
	/* Limits per command, already min()ed over the controller's and VPD
	 * B0h's (SBC-3 §6.6.4). */
	uint32_t max_transfer_bytes;
	uint32_t opt_transfer_blocks;
	uint32_t max_segments;
	/* Logical block provisioning (VPD B0h, B2h). */
	bool unmap_supported;    /* LBPU: UNMAP command */
	bool ws16_unmap;         /* LBPWS: WRITE SAME(16) with UNMAP */
	uint32_t max_unmap_blocks, max_unmap_descriptors, unmap_granularity;
	uint32_t unmap_alignment;    /* UNMAP GRANULARITY ALIGNMENT (B0h): granules */
	bool unmap_alignment_valid;  /* start there; valid when UGAVALID is set */
	uint64_t max_write_same_blocks;
	uint16_t rotation_rate;  /* VPD B1h; 1 = non-rotating */
	uint32_t queue_depth;    /* outstanding commands allowed (cmd_per_lun) */
};

/* The LUN's description (valid while the LUN is; updated by rescans). */
const struct vscsi_lun_info *vscsi_lun_info(const struct vscsi_lun *lun);

/*
 * The persistent identifiers Linux's udev gives a disk or CD (systemd's
 * scsi_id and 60-persistent-storage.rules), computed from the VPD pages
 * the scan read.  `serial` receives ID_SERIAL, the name under
 * /dev/disk/by-id without its "scsi-" ("35000c50015ea71ac" from an NAA
 * designator, "0QEMU_QEMU_HARDDISK_drive0" from a vendor-specific one,
 * "SQEMU_QEMU_HARDDISK_SER1" from the VPD 80h serial), "" when the LUN
 * has none; `wwn` receives ID_WWN_WITH_EXTENSION ("0x5000c50015ea71ac",
 * the by-id name without "wwn-"), "" unless the identifier chosen is an
 * NAA designator.  Either buffer may be NULL; VSCSI_UDEV_ID_MAX bytes
 * always suffice.
 */
#define VSCSI_UDEV_ID_MAX 192
void vscsi_lun_udev_ids(const struct vscsi_lun_info *info, char *serial, size_t serial_cap,
			char *wwn, size_t wwn_cap);
struct vscsi_ctrl *vscsi_lun_ctrl(const struct vscsi_lun *lun);

/* LUNs of all controllers in scan order, skipping gone ones: pass NULL to
 * get the first. */
struct vscsi_lun *vscsi_lun_next(struct vscsi_lun *prev);
/* LUNs of one controller. */
struct vscsi_lun *vscsi_ctrl_lun_next(struct vscsi_ctrl *ctrl, struct vscsi_lun *prev);
/* By name: "sda", "sr0", "sg3", or "H:C:T:L" (decimal). NULL if none. */
struct vscsi_lun *vscsi_lun_find(const char *name);
struct vscsi_lun *vscsi_lun_at(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun);

/* Scan again: every target of one controller, one target, or every
 * controller.  New LUNs are added, vanished ones marked gone, known ones
 * refreshed (capacity, medium).  Returns the number of LUNs present. */
int vscsi_rescan(struct vscsi_ctrl *ctrl);
int vscsi_rescan_target(struct vscsi_ctrl *ctrl, unsigned target);
int vscsi_rescan_all(void);
/* Re-read capacity, medium and write protection of one LUN. */
int vscsi_lun_revalidate(struct vscsi_lun *lun);

/* Called after a scan changed the table (added/removed/resized LUN):
 * `what` is one of the VSCSI_CHANGE_* codes.  Runs from vscsi_poll(). */
enum vscsi_change { VSCSI_CHANGE_ADDED, VSCSI_CHANGE_REMOVED, VSCSI_CHANGE_RESIZED,
		    VSCSI_CHANGE_MEDIUM };
void vscsi_set_change_callback(void (*cb)(struct vscsi_lun *lun, enum vscsi_change what,
					  void *arg), void *arg);

/* --- SCSI commands ------------------------------------------------------------ */

/* Data direction: always given by the caller, never guessed from the CDB. */
enum vscsi_data_dir {
	VSCSI_DATA_NONE = 0,
	VSCSI_DATA_TO_DEVICE = 1,   /* data-out (WRITE) */
	VSCSI_DATA_FROM_DEVICE = 2, /* data-in (READ) */
};

/* One piece of the caller's data buffer (virtual address, bytes). */
struct vscsi_sg {
	void *addr;
	size_t len;
};

#define VSCSI_QUEUE_ANY 0xffffu

/*
 * One SCSI command.  The caller owns it and everything it points to until
 * the completion callback has run (or a blocking call returned).
 */
struct vscsi_cmd {
	/* --- set by the caller ------------------------------------------------ */
	const uint8_t *cdb;
	uint8_t cdb_len;            /* <= the device's cdb_size (32) */
	enum vscsi_data_dir dir;
	const struct vscsi_sg *sg;  /* data buffer pieces; NULL with dir NONE */
	unsigned sg_count;
	size_t sg_skip;             /* bytes at the start of `sg` not to use (0: none) */
	size_t sg_len;              /* bytes to transfer after the skip (0: all the rest) */
	uint8_t *sense;             /* NULL: not wanted */
	uint32_t sense_cap;
	uint16_t queue;             /* request queue index (0..), or VSCSI_QUEUE_ANY */
	uint32_t timeout_ms;        /* deadline, blocking or not; 0: the controller default */
	void (*done)(struct vscsi_cmd *cmd); /* async completion; may submit again */
	void *arg;                  /* for the caller */

	/* --- set by the driver on completion -------------------------------- */
	int result;                 /* 0, or -VSCSI_E*: see vscsi_cmd_result() rules */
	uint8_t response;           /* virtio response code (virtio 1.2 §5.6.6.1) */
	uint8_t status;             /* SAM status, valid when response == 0 */
	uint32_t sense_len;         /* bytes copied to `sense` */
	uint32_t resid;             /* data bytes not transferred (clamped) */
	bool resid_invalid;         /* the device reported a residual larger than
				       data_len: resid says data_len, but how much
				       moved is unknown (QEMU 7.2's scsi-hd does
				       this for a READ into a larger buffer) */
	uint32_t data_len;          /* data bytes in the request */
	uint64_t tag;               /* the unique id the command was sent with */
	uint16_t queue_used;        /* request queue it went to (0..) */
	uint64_t duration_ns;

	/* --- private ---------------------------------------------------------- */
	void *priv_req;
};

/*
 * cmd->result after completion:
 *   0                   response OK and status GOOD (or CONDITION MET)
 *   -VSCSI_EIO          CHECK CONDITION (look at cmd->sense), ACA ACTIVE,
 *                       RESERVATION CONFLICT, transport/target/nexus failure
 *   -VSCSI_EBUSY        status BUSY / TASK SET FULL, or virtio BUSY
 *   -VSCSI_EOVERFLOW    virtio OVERRUN (buffer smaller than the CDB asks)
 *   -VSCSI_ECANCELED    virtio ABORTED, status TASK ABORTED
 *   -VSCSI_ENXIO        virtio BAD_TARGET or INCORRECT_LUN
 *   -VSCSI_ECONNRESET   virtio RESET, or cancelled by a device reset
 *   -VSCSI_ETIMEDOUT    past its deadline: the driver aborted it (or reset)
 *   -VSCSI_ENODEV       the controller is dead (its device could not be reset)
 *   -VSCSI_EPROTO       the device answered something impossible
 */

/* Flags for vscsi_submit. */
#define VSCSI_SUBMIT_NO_KICK 1u /* batch: notify later with vscsi_kick() */

/*
 * Queue a command for (target, lun) and return at once; cmd->done runs on
 * completion (from vscsi_poll or the interrupt).  Errors returned here
 * (EINVAL, E2BIG, EFAULT, EAGAIN when no request slot is free, ENODEV: the
 * controller is dead) mean nothing was sent and `done` will not run.  The
 * command's deadline (timeout_ms, else the controller's cmd_timeout_ms) is
 * watched by vscsi_poll: past it the driver climbs the same ladder as for
 * a blocking call, from vscsi_poll, and `done` runs with -VSCSI_ETIMEDOUT.
 */
int vscsi_submit(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun,
		 struct vscsi_cmd *cmd, unsigned flags);
int vscsi_lun_submit(struct vscsi_lun *lun, struct vscsi_cmd *cmd, unsigned flags);
/* Notify the device of everything submitted with NO_KICK. */
void vscsi_kick(struct vscsi_ctrl *ctrl);

/* Flags for the blocking calls. */
#define VSCSI_EXEC_NO_RETRY 1u   /* do not retry BUSY / TASK SET FULL */
#define VSCSI_EXEC_RETRY_UA 2u   /* retry after UNIT ATTENTION (the command did not run) */
#define VSCSI_EXEC_QUIET 4u      /* no log line for a failure */

/*
 * Send a command and wait for it (timeout: cmd->timeout_ms).  BUSY, TASK
 * SET FULL and virtio BUSY are retried with backoff unless NO_RETRY.  On
 * timeout the driver escalates: ABORT TASK, LOGICAL UNIT RESET, I_T NEXUS
 * RESET, then a device reset (each step bounded by opts.recovery_step_ms);
 * the call returns only once the device no longer owns the buffers, or,
 * when the device cannot be reset, once it can no longer reach them (the
 * controller is then dead: -VSCSI_ENODEV).  Returns cmd->result.
 */
int vscsi_exec(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun,
	       struct vscsi_cmd *cmd, unsigned flags);
int vscsi_lun_exec(struct vscsi_lun *lun, struct vscsi_cmd *cmd, unsigned flags);

/* Convenience: one contiguous buffer (may be NULL when len is 0). */
int vscsi_exec_simple(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun,
		      const uint8_t *cdb, unsigned cdb_len, enum vscsi_data_dir dir,
		      void *buf, size_t len, uint8_t *sense, uint32_t sense_cap,
		      uint32_t *resid, unsigned flags);

/* Ready-made commands on a LUN (blocking).  `buf` receives the data. */
int vscsi_inquiry(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun,
		  bool evpd, uint8_t page, void *buf, uint16_t len, uint32_t *got);
int vscsi_test_unit_ready(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun,
			  uint8_t *sense, uint32_t sense_cap);
/* READ CAPACITY(10), then (16) if the device has 2^32 or more blocks. */
int vscsi_read_capacity(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun,
			uint64_t *blocks, uint32_t *block_size);

/* Names for the codes a command returns. */
const char *vscsi_response_name(uint8_t response); /* "OK", "BAD_TARGET" ... */

/* --- task management (virtio 1.2 §5.6.6.2) ----------------------------------- */

enum vscsi_tmf {
	VSCSI_TMF_ABORT_TASK = 0,
	VSCSI_TMF_ABORT_TASK_SET = 1,
	VSCSI_TMF_CLEAR_ACA = 2,
	VSCSI_TMF_CLEAR_TASK_SET = 3,
	VSCSI_TMF_I_T_NEXUS_RESET = 4,
	VSCSI_TMF_LOGICAL_UNIT_RESET = 5,
	VSCSI_TMF_QUERY_TASK = 6,
	VSCSI_TMF_QUERY_TASK_SET = 7,
};

/* virtio response codes (also in cmd->response). */
#define VSCSI_S_OK 0
#define VSCSI_S_FUNCTION_COMPLETE 0
#define VSCSI_S_OVERRUN 1
#define VSCSI_S_ABORTED 2
#define VSCSI_S_BAD_TARGET 3
#define VSCSI_S_RESET 4
#define VSCSI_S_BUSY 5
#define VSCSI_S_TRANSPORT_FAILURE 6
#define VSCSI_S_TARGET_FAILURE 7
#define VSCSI_S_NEXUS_FAILURE 8
#define VSCSI_S_FAILURE 9
#define VSCSI_S_FUNCTION_SUCCEEDED 10
#define VSCSI_S_FUNCTION_REJECTED 11
#define VSCSI_S_INCORRECT_LUN 12

/*
 * Send one TMF on the control queue and wait (timeout `timeout_ms`, 0:
 * the default); afterwards every request queue is drained.  `tag` names
 * the task for ABORT TASK / QUERY TASK.  Returns 0 with *response set
 * (FUNCTION COMPLETE, SUCCEEDED, REJECTED, BAD_TARGET, INCORRECT_LUN ...),
 * or a negative code when no answer came (ETIMEDOUT, ENODEV ...).
 */
int vscsi_tmf(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun, enum vscsi_tmf tmf,
	      uint64_t tag, uint32_t timeout_ms, uint8_t *response);
const char *vscsi_tmf_name(enum vscsi_tmf tmf);
/* Asynchronous notification query/subscribe (type 1 / 2).  `events` is a
 * mask of VSCSI_AN_* bits; *actual receives the device's answer. */
#define VSCSI_AN_OPERATIONAL_CHANGE 2u
#define VSCSI_AN_POWER_MGMT 4u
#define VSCSI_AN_EXTERNAL_REQUEST 8u
#define VSCSI_AN_MEDIA_CHANGE 16u
#define VSCSI_AN_MULTI_HOST 32u
#define VSCSI_AN_DEVICE_BUSY 64u
int vscsi_an_query(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun, uint32_t events,
		   uint32_t *actual, uint8_t *response);
int vscsi_an_subscribe(struct vscsi_ctrl *ctrl, unsigned target, unsigned lun,
		       uint32_t events, uint32_t *actual, uint8_t *response);

/* Full device reset and re-initialisation (virtio 1.2 §3.1.1): every
 * outstanding command completes with -VSCSI_ECONNRESET. */
int vscsi_ctrl_reset(struct vscsi_ctrl *ctrl);

/* --- events (virtio 1.2 §5.6.6.3) ----------------------------------------- */

/* One event as the device sent it, decoded; kept in a small history for
 * diagnostics (vscsi_event_history). */
struct vscsi_event {
	uint32_t event;     /* low bits: 0 NO_EVENT, 1 TRANSPORT_RESET, 2 ASYNC_NOTIFY, 3 PARAM_CHANGE */
	bool missed;        /* EVENTS_MISSED (bit 31) was set */
	uint32_t reason;
	unsigned target, lun;
	uint64_t time_ns;
};
/* Copy up to `max` most recent events (oldest first); returns the count. */
unsigned vscsi_event_history(const struct vscsi_ctrl *ctrl, struct vscsi_event *out,
			     unsigned max);

#endif
