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
 * LOGICAL UNIT RESET.  One model per process (tests run one at a time).
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
};

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
	bool ignore_abort;        /* ABORT TASK answers but cancels nothing */
	bool ignore_lun_reset;    /* LOGICAL UNIT RESET answers but cancels nothing */
	unsigned tmf_count[8];
	/* observations */
	unsigned cmds, reads, writes, report_luns, bad_headers, dup_tags, overruns;
	uint32_t max_xfer;        /* largest data transfer of one command */
	unsigned max_cdb_opcode_seen;
	unsigned tmfs, last_tmf, tmf_bad_size;
	uint64_t last_tmf_tag;
	unsigned an_requests;
	uint64_t outstanding_tags[256];
	unsigned n_outstanding;
	struct sim_held held[MODEL_MAX_HELD];
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
/* The model's sim_dev.on_notify: serves the control, event and request
 * queues of whichever simulated device was notified. */
void model_on_notify(struct sim_dev *s, unsigned q, void *arg);

/* --- the fixture: the driver brought up against the model --------------- */

struct bring_up_opts {
	unsigned nrq;
	uint16_t max_target;
	uint32_t max_sectors, seg_max, cdb_size, sense_size;
	bool no_scan;
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
