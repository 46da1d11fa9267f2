/*
 * scsi_target.h - a small SCSI target behind the simulated virtio-scsi
 * device of virtio_sim.h, for the unit tests and fuzzers of the SCSI
 * stack.
 *
 * The model answers what QEMU's scsi-hd and scsi-cd answer for the
 * commands the driver sends (INQUIRY with VPD 00h/80h/83h/B0h/B2h, REPORT
 * LUNS always listing LUN 0, TEST UNIT READY, READ CAPACITY (10)/(16),
 * READ/WRITE (10)/(16), MODE SENSE (6), SYNCHRONIZE CACHE, UNMAP, START
 * STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL), with QEMU's conventions: the
 * virtio response BAD_TARGET for a target without LUNs, peripheral
 * qualifier 1 or 3 for a missing LUN, OVERRUN when the buffer is smaller
 * than the CDB asks, a unit attention 29h/00h (power on or reset) that
 * every LUN reports first, and the control queue's TMF and AN requests.
 *
 * It checks what the device side would: header sizes (51/108 bytes, TMF
 * 24/1, AN 16/5, event buffers of 16 device-writable bytes), unique tags
 * among outstanding commands, data direction and transfer length against
 * the buffers (counted in `model`: bad_headers, dup_tags, overruns).
 *
 * Switches in `model` make it misbehave on purpose: hold READs (never
 * answer them), answer BUSY, refuse REPORT LUNS, ignore ABORT TASK or
 * LOGICAL UNIT RESET or I_T NEXUS RESET, never answer chosen TMFs, move fewer bytes than asked with GOOD status
 * (short_next / short_bytes).  One model per process (tests run one at a time).
 */
#ifndef VSCSI_TESTS_SCSI_TARGET_H
#define VSCSI_TESTS_SCSI_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include "sim/virtio_sim.h"
#include "vscsi/vscsi.h"

struct sim_lun {
	bool present;
	unsigned target, lun;
	uint8_t type;
	uint64_t blocks;
	uint32_t bs;
	uint8_t *data;
	bool removable, medium, wp;
	bool ua;
	uint8_t ua_asc, ua_ascq;
	const char *serial;
	/* Write cache (SBC-4 §6.5.1, caching mode page 08h): MODE SENSE
	 * reports DPOFUA in the device-specific parameter and WCE in the
	 * caching page. */
	bool dpofua, wce;
	/* Logical block provisioning as VPD B0h / B2h report it, when
	 * `lbp_set` (otherwise: UNMAP and WRITE SAME(16), at most 1024
	 * blocks and 255 descriptors per UNMAP, no granularity). */
	bool lbp_set;
	bool lbpu, lbpws;               /* B2h: UNMAP, WRITE SAME(16) with UNMAP */
	uint32_t max_unmap_blocks, max_unmap_desc, unmap_gran, unmap_align;
	bool ugavalid;
	uint64_t max_ws_blocks;
};

/* One command the model executed on a LUN's medium or cache (READ/WRITE,
 * SYNCHRONIZE CACHE, UNMAP and WRITE SAME descriptors), in order. */
struct sim_io {
	unsigned target, lun;
	uint8_t opcode;
	bool fua;                 /* WRITE with FUA; WRITE SAME(16) with UNMAP */
	uint64_t lba;
	uint32_t blocks;          /* for SYNCHRONIZE CACHE, 0 means to the end */
};

#define MODEL_MAX_IO 256

#define MODEL_MAX_LUNS 16
#define MODEL_MAX_HELD 8
#define MODEL_MAX_EVBUF 64

struct sim_held {
	bool used;
	struct sim_dev *sim;
	unsigned q;
	uint64_t tag;
	unsigned target, lun;
	struct sim_chain *chain;
};

struct scsi_target_model {
	struct sim_dev sim;
	unsigned nrq;
	struct sim_lun lun[MODEL_MAX_LUNS];
	/* behaviour switches */
	bool hold_reads;          /* keep READs in flight (timeout tests) */
	unsigned busy_next;       /* answer virtio BUSY to the next n commands */
	bool no_report_luns;      /* REPORT LUNS -> ILLEGAL REQUEST */
	uint8_t report_luns_response; /* nonzero: REPORT LUNS gets this virtio response */
	bool hold_report_luns;    /* keep REPORT LUNS in flight (like hold_reads) */
	bool ignore_abort;        /* ABORT TASK answers but cancels nothing */
	bool ignore_lun_reset;    /* LOGICAL UNIT RESET answers but cancels nothing */
	bool sync_error;          /* SYNCHRONIZE CACHE -> MEDIUM ERROR, WRITE ERROR (03/0C/00) */
	/* Short-transfer mode: the next `short_next` READ/WRITE (10)/(16)
	 * commands (~0u: all of them) that would move more than `short_bytes`
	 * move only `short_bytes` (the first ones of the range), with status
	 * GOOD and the residual (data-in: also the used length) saying so. */
	bool ignore_nexus_reset;  /* I_T NEXUS RESET answers but cancels nothing */
	/* TMF subtypes (bit 1 << VSCSI_TMF_*) the device never answers: the
	 * control request stays with it until a device reset. */
	unsigned tmf_no_answer;
	unsigned tmfs_unanswered; /* TMFs held that way so far */
	uint8_t tmf_order[32];    /* subtypes in the order they arrived */
	unsigned n_tmf_order;
	unsigned short_next;
	uint32_t short_bytes;
	unsigned shorted;         /* commands cut short so far */
	unsigned tmf_count[8];
	/* observations */
	unsigned cmds, reads, writes, report_luns, bad_headers, dup_tags, overruns;
	unsigned syncs, unmaps, write_sames; /* SYNCHRONIZE CACHE, UNMAP, WRITE SAME(16) */
	struct sim_io io[MODEL_MAX_IO];      /* the first MODEL_MAX_IO of them, and READs/WRITEs */
	unsigned nio;
	uint32_t max_xfer;        /* largest data transfer of one command */
	unsigned max_cdb_opcode_seen;
	unsigned tmfs, last_tmf, tmf_bad_size;
	uint64_t last_tmf_tag;
	unsigned an_requests;
	uint64_t outstanding_tags[256];
	unsigned n_outstanding;
	struct sim_held held[MODEL_MAX_HELD];
	struct sim_chain *held_ctl[MODEL_MAX_HELD]; /* unanswered control requests */
	/* posted event buffers */
	struct {
		uint16_t id;
		uint64_t addr;
		uint32_t len;
	} ev[MODEL_MAX_EVBUF];
	unsigned nev;
};

extern struct scsi_target_model model;

/* A LUN of `type` (0 disk, 5 CD/DVD) with `blocks` blocks of `bs` bytes,
 * zero-filled, with its power-on unit attention pending. */
struct sim_lun *model_add_lun(unsigned t, unsigned l, uint8_t type, uint64_t blocks, uint32_t bs);
struct sim_lun *model_find_lun(unsigned t, unsigned l);
/* Complete one posted event buffer with this event (false: none posted). */
bool model_fire_event(uint32_t event, unsigned t, unsigned l, uint32_t reason);
/* Complete every held command with response OK, status GOOD and its
 * whole data-in buffer filled with `fill` (a device that finally
 * answers); returns how many.  Nothing reaches memory once the device's
 * DMA was stopped (sim.dma_blocked counts the attempts). */
unsigned model_complete_held(uint8_t fill);
/* Drop the held commands without answering (a device that forgot them
 * across a reset).  The model does this by itself when the driver resets
 * the device (status 0 read back), with the unanswered TMFs too. */
void model_forget_held(void);
/* The model's sim_dev.on_notify: serves the control, event and request
 * queues of whichever simulated device was notified. */
void model_on_notify(struct sim_dev *s, unsigned q, void *arg);

/* --- the fixture: the driver brought up against the model --------------- */

struct bring_up_opts {
	unsigned nrq;
	uint16_t max_target;
	uint32_t max_sectors, seg_max, cdb_size, sense_size;
	bool no_scan;
	uint32_t num_queues;        /* config num_queues (0: nrq) */
	unsigned sim_queues;        /* virtqueues the device has (0: 2 + num_queues) */
	unsigned max_request_queues; /* vscsi_opts (0: all) */
	uint32_t cmd_timeout_ms;    /* vscsi_opts (0: 2000) */
	uint32_t recovery_step_ms;  /* vscsi_opts (0: 200, to keep the ladder fast) */
	/* Interrupts: the host glue's irq_attach is installed, the driver
	 * chooses (no MSI-X on the sim device: a line interrupt), and the
	 * device raises the line whenever it completes a buffer (delivered
	 * through host_glue_irq_raise, so locks mask it).  Else polling. */
	bool interrupts;
	/* Runs after the device is configured, before the driver probes it. */
	void (*before_probe)(struct sim_dev *s);
};

/* The host glue and the controller bring_up() made. */
extern struct vscsi_glue glue;
extern struct vscsi_ctrl *ctrl;
/* Configure the simulated device (options 0: 1 request queue, seg_max 62,
 * max_sectors 0xffff, cdb/sense 32/96, max_target 7; polling), open it
 * and probe it with vs_probe_device (scan included unless no_scan). */
int bring_up(const struct bring_up_opts *fo);
/* Remove the controller, destroy the device, forget the model. */
void tear_down(void);

#endif
