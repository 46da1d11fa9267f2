/*
 * internal.h - the SCSI midlayer's own structures: the controller handle
 * of the public API (struct vscsi_ctrl: the host adapter it drives, its
 * host number, its LUN list and the state of scans and events) and the
 * logical units (struct vscsi_lun); the functions one file of drv/scsi
 * calls in another.  Shared by the files of drv/scsi, read by drv/blk
 * (the block layer sits on top), never by the embedding OS.
 *
 * drv/scsi sees the virtio-scsi device only through virtio_scsi/adapter.h.
 */
#ifndef VSCSI_DRV_SCSI_INTERNAL_H
#define VSCSI_DRV_SCSI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/vscsi.h"
#include "vscsi/scsi.h"
#include "util/util.h"
#include "virtio_scsi/adapter.h"

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

#define VS_EVENT_HISTORY 32

struct vscsi_ctrl {
	struct vs_adapter *adapter; /* the virtio-scsi device */
	const struct vscsi_glue *glue;
	struct vscsi_opts opts;
	struct vscsi_ctrl *next;    /* global list, probe order */
	unsigned host;
	void *lock;                 /* LUN table; drv/blk's stall lists */

	struct vscsi_lun *luns;
	bool in_events;             /* event handling running: no nesting */
	bool in_recovery;           /* vs_check_deadlines running: no nesting */
	bool scanning;

	/* counters the midlayer keeps (the adapter keeps its own) */
	uint64_t timeouts, events, events_missed, rescans, last_scan_ns;
	struct vscsi_event history[VS_EVENT_HISTORY];
	unsigned hist_count;
};

/* --- host.c ------------------------------------------------------------------ */
/* Bring up a virtio device some transport already opened (the probe
 * functions end here; unit tests enter here with the simulated device):
 * attach the adapter, register the host, scan.  On failure the device is
 * closed. */
int vs_probe_device(const struct vscsi_glue *glue, struct virtio_device *dev,
		    const struct vscsi_opts *opts, struct vscsi_ctrl **out);
extern struct vscsi_ctrl *vs_ctrl_list;
/* A command's timeout: `ms`, else the controller's default. */
uint32_t vs_timeout_ms(const struct vscsi_ctrl *c, uint32_t ms);

/* --- error.c -------------------------------------------------------------------- */
/* Wait for `cmd` (submitted); on timeout escalate (ABORT TASK, LOGICAL UNIT
 * RESET, I_T NEXUS RESET, device reset) until the device no longer owns
 * it.  Returns cmd->result. */
int vs_wait(struct vscsi_ctrl *c, struct vscsi_cmd *cmd, uint32_t timeout_ms);
/* From vscsi_poll: the same ladder for every asynchronous command past
 * its deadline (blocking, bounded; thread context only). */
void vs_check_deadlines(struct vscsi_ctrl *c);

/* --- lun.c -------------------------------------------------------------------------- */
/* Linux-style disk names: 0 -> "sda", 25 -> "sdz", 26 -> "sdaa" ... */
void vs_disk_name(unsigned index, char *buf, size_t cap);
/* The LUN table of a controller. */
struct vscsi_lun *vs_lun_lookup(struct vscsi_ctrl *c, unsigned target, unsigned lun);
struct vscsi_lun *vs_lun_get(struct vscsi_ctrl *c, unsigned target, unsigned lun);
void vs_lun_assign_name(struct vscsi_lun *l);
void vs_lun_release_name(struct vscsi_lun *l);
void vs_lun_mark_gone(struct vscsi_lun *l);
void vs_notify_change(struct vscsi_lun *l, enum vscsi_change what);
/* Free every LUN of a controller (its name, drv/blk's state, the memory). */
void vs_lun_free_all(struct vscsi_ctrl *c);

/* --- scan.c ------------------------------------------------------------------------- */
int vs_scan(struct vscsi_ctrl *c);
int vs_scan_target(struct vscsi_ctrl *c, unsigned target, bool remove_missing);
int vs_scan_lun(struct vscsi_ctrl *c, unsigned target, unsigned lun);

/* --- events.c ----------------------------------------------------------------------- */
/* Act on the events the adapter copied out: rescans, removals,
 * revalidations.  From vscsi_poll only (commands are sent). */
void vs_events_process(struct vscsi_ctrl *c);

/* --- parse.c: every parser of data a SCSI device returns (pure) ------------------- */
/* Standard INQUIRY data (SPC-4 §6.4.2): whether a logical unit is there
 * (0; -VSCSI_ENXIO for peripheral qualifier 1 or 3; -VSCSI_EIO when too
 * short to say), and what it is. */
int vs_parse_inquiry_present(const uint8_t *d, uint32_t got);
void vs_parse_inquiry(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
/* VPD pages (SPC-4 §7.8): 00h supported pages, 80h unit serial number,
 * 83h device identification; the block device pages of SBC-3 §6.6: B0h
 * block limits (returns the MAXIMUM TRANSFER LENGTH in blocks, 0 when
 * none), B1h block device characteristics, B2h logical block
 * provisioning. */
void vs_parse_vpd_00(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_vpd_80(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_vpd_83(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
uint32_t vs_parse_vpd_b0(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_vpd_b1(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
void vs_parse_vpd_b2(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
/* The READ CAPACITY (10) parameter data of SBC-3: *blocks is the last LBA
 * + 1 (2^32 when the device says "more than (10) can tell": ask (16)).
 * false when shorter than 8 bytes. */
bool vs_parse_capacity10(const uint8_t *d, uint32_t got, uint64_t *blocks,
			 uint32_t *block_size);
/* The READ CAPACITY (16) parameter data of SBC-3: blocks, block length,
 * physical block exponent, LBPME, LBPRZ.  false when shorter than 12
 * bytes. */
bool vs_parse_capacity16(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info);
/* MODE SENSE (6) or (10) data: the mode parameter header of SPC-4 (WP and
 * DPOFUA in the device-specific parameter of a block device, SBC-3) and
 * the caching mode page's WCE. */
void vs_parse_mode(const uint8_t *d, uint32_t got, bool ten, struct vscsi_lun_info *info);
/* GET EVENT STATUS NOTIFICATION data of the media class (MMC-6 §6.6):
 * 0 with the event and the tray/medium state; -VSCSI_ENOENT when the
 * device says no event is available (NEA); -VSCSI_EIO when the data is
 * too short or of another class. */
#define VS_MEDIA_EVENT_NONE 0
#define VS_MEDIA_EVENT_EJECT_REQUEST 1
#define VS_MEDIA_EVENT_NEW_MEDIA 2
#define VS_MEDIA_EVENT_REMOVAL 3
#define VS_MEDIA_EVENT_CHANGED 4
struct vs_media_event {
	uint8_t event;      /* VS_MEDIA_EVENT_*, or another MMC code */
	bool tray_open;
	bool present;
};
int vs_parse_media_event(const uint8_t *d, uint32_t got, struct vs_media_event *ev);
/* Sense data and REPORT LUNS are parsed by the public scsi_sense_decode(),
 * scsi_report_luns_parse() and scsi_lun_entry_decode() (vscsi/scsi.h),
 * which live in parse.c too. */

/* --- for drv/blk ------------------------------------------------------------------ */
static inline void **vs_lun_upper(struct vscsi_lun *l) { return &l->upper; }
static inline const struct vscsi_glue *vs_ctrl_glue(const struct vscsi_ctrl *c)
{
	return c->glue;
}
/* The controller failed for good: it refuses every command. */
static inline bool vs_ctrl_dead(const struct vscsi_ctrl *c)
{
	return vs_adapter_is_dead(c->adapter);
}
/* Set by drv/blk (its write-cache flush): vscsi_remove runs it first,
 * while the controller still works, before its device is stopped.  The
 * midlayer reaches upward only through this pointer. */
extern void (*vs_ctrl_remove_hook)(struct vscsi_ctrl *c);

#endif
