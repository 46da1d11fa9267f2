/*
 * internal.h - drv/blk's per-device state and the pure helpers its files
 * share (request splitting, error classification, the SG_IO filter).
 * drv/blk sits on the SCSI midlayer (scsi/internal.h) and nothing sits on
 * it but the embedding OS, through vscsi/blk.h and vscsi/sg_io.h.
 */
#ifndef VSCSI_DRV_BLK_INTERNAL_H
#define VSCSI_DRV_BLK_INTERNAL_H

#include "vscsi/blk.h"
#include "vscsi/sg_io.h"
#include "scsi/internal.h"

#define VS_FILTER_MAX_RULES 32

/* One administrator rule: an opcode, optionally one service action. */
struct vs_filter_rule {
	uint8_t opcode;
	bool has_sa;
	uint16_t service_action;
	bool allow;              /* false: deny entry */
};

struct vs_filter {
	enum vscsi_sg_policy policy;
	unsigned n;
	struct vs_filter_rule rule[VS_FILTER_MAX_RULES];
};

/* cdrom.c: the medium poll of a removable device (one command at a time,
 * sent from vscsi_blk_media_poll, answered maybe in interrupt context). */
struct vs_media_poll {
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[16];
	uint8_t sense[32];
	uint8_t data[8];         /* event status header + media descriptor */
	uint64_t next_ns;        /* not before: about one poll a second */
	bool inflight;           /* with the device: cmd and data are its */
	bool answered;           /* done ran; the idle path has not looked yet */
	bool use_tur;            /* no GET EVENT STATUS NOTIFICATION: TEST UNIT READY */
};

/* Per block device, hung off the LUN (vs_lun_upper), made on first use. */
struct vs_blk_dev {
	bool needs_revalidate;   /* a unit attention said medium/capacity changed */
	uint8_t *zero_block;     /* data-out of WRITE SAME(16) UNMAP */
	uint32_t zero_size;
	struct vs_filter filter;
	struct vscsi_blk_req *stalled; /* waiting for a slot or a backoff (ctrl lock) */
	struct vs_media_poll media;
};

struct vs_blk_dev *vs_blk_state(struct vscsi_lun *dev);

/* --- split.c (pure) ------------------------------------------------------ */
/* Pages [addr, addr+len) touches: the most segments it can map to. */
unsigned vs_blk_pages(uintptr_t addr, size_t len);
/*
 * Blocks the next command of a READ/WRITE can carry, starting `start`
 * bytes into the data list: at most `left` blocks, `max_bytes` bytes and
 * `max_segs` (page-granular) segments, and whole blocks only.  0 when not
 * even one block fits.
 */
uint64_t vs_blk_piece_blocks(const struct vscsi_sg *sg, unsigned n, size_t start,
			     uint64_t left, uint32_t block_size, uint32_t max_bytes,
			     unsigned max_segs);
/* How a discard reaches the device: UNMAP, or WRITE SAME(16) with the
 * UNMAP bit, or not at all (from VPD B0h and B2h). */
enum vs_discard_mode { VS_DISCARD_NONE, VS_DISCARD_UNMAP, VS_DISCARD_WRITE_SAME };
enum vs_discard_mode vs_blk_discard_mode(const struct vscsi_lun_info *info);
/* Blocks the next discard command at `lba` carries (of `left`): within
 * the command's maximum, ending on an unmap granule boundary when the
 * range goes on.  0 when the mode has no room at all. */
uint64_t vs_blk_discard_blocks(const struct vscsi_lun_info *info, enum vs_discard_mode mode,
			       uint64_t lba, uint64_t left);
/* Checks of a request against the device, before anything is sent. */
int vs_blk_validate(const struct vscsi_lun_info *info, const struct vscsi_blk_req *req);

/* What to do with a failed command. */
enum vs_blk_action { VS_BLK_OK, VS_BLK_RETRY, VS_BLK_RETRY_LATER, VS_BLK_FAIL };
struct vs_blk_verdict {
	enum vs_blk_action action;
	int err;                 /* for FAIL */
	uint32_t delay_us;       /* for RETRY_LATER */
	bool medium_gone;        /* no medium now */
	bool revalidate;         /* capacity / medium to be read again */
	bool write_protected;
	bool short_transfer;     /* GOOD, but not every byte moved (or unknown) */
};
/* Classify a completed command (result, response, status, sense, and for
 * READ and WRITE the residual). */
void vs_blk_classify(enum vscsi_blk_op op, const struct vscsi_cmd *cmd, uint32_t retries,
		     struct vs_blk_verdict *v);

/* --- filter.c ---------------------------------------------------------------- */
/* 0 to allow, -VSCSI_EPERM to refuse (pure decision).  `type` is the
 * peripheral device type: opcode 42h is UNMAP on a disk but READ
 * SUB-CHANNEL on a CD. */
int vs_filter_check(const struct vs_filter *f, uint8_t type, const uint8_t *cdb, unsigned len,
		    bool opened_for_write);
/* The same decision, with what made it (enum vscsi_sg_verdict). */
enum vscsi_sg_verdict vs_filter_decide(const struct vs_filter *f, uint8_t type,
				       const uint8_t *cdb, unsigned len, bool opened_for_write);
/* The service action a CDB carries, or -1. */
int vs_cdb_service_action(const uint8_t *cdb, unsigned len);

#endif
