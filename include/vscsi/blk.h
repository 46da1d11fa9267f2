/*
 * blk.h - block access to SCSI disks (sd) and CD/DVD drives (sr).
 *
 * A block device is a `struct vscsi_lun` whose type is a disk or a CD-ROM
 * (vscsi_blk_is_block).  Addresses and counts are in the device's logical
 * blocks (512 or 4096 for disks, 2048 for CDs).  Data is a scatter-gather
 * list of virtual buffers whose total is exactly blocks * block_size;
 * requests larger than the device accepts per command are split and the
 * pieces joined into one completion.  Requests that are unaligned, out of
 * range, or writes to a write-protected device are refused before anything
 * is sent (EINVAL, ERANGE, EROFS).  A command refused with RESERVATION
 * CONFLICT fails the request with EBADE; a READ or WRITE that ends GOOD
 * but did not move every byte is sent again (twice at most), then fails
 * with EIO; on a controller that died, requests end with ENODEV.
 *
 * Asynchronous: fill a `struct vscsi_blk_req`, vscsi_blk_submit(), and
 * call vscsi_blk_poll() until `done` runs.  Blocking: vscsi_blk_read()
 * and friends.  Plain C, no libc.
 */
#ifndef VSCSI_BLK_H
#define VSCSI_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/vscsi.h"

enum vscsi_blk_op {
	VSCSI_BLK_READ,
	VSCSI_BLK_WRITE,
	VSCSI_BLK_FLUSH,   /* SYNCHRONIZE CACHE; lba/blocks ignored */
	VSCSI_BLK_DISCARD, /* UNMAP, or WRITE SAME(16) with UNMAP; no data */
};

/* Request flags. */
/* WRITE: the data is on the medium when the request completes (force
 * unit access): FUA on each WRITE where the device's DPOFUA says it takes
 * it, else a SYNCHRONIZE CACHE of the range after the WRITEs. */
#define VSCSI_BLK_FUA 1u
#define VSCSI_BLK_NO_KICK 2u /* batch: notify the device at vscsi_blk_kick() */

/* Commands of one request in flight at a time. */
#define VSCSI_BLK_WINDOW 4

struct vscsi_blk_req;

/* One command of a (possibly split) request; private to the driver. */
struct vscsi_blk_piece {
	struct vscsi_cmd cmd;
	uint8_t cdb[16];
	uint8_t sense[32];
	uint8_t param[24];          /* UNMAP parameter list (one descriptor) */
	struct vscsi_sg param_sg;
	struct vscsi_blk_req *req;
	uint64_t lba;
	uint32_t blocks;
	uint32_t retries;
	uint64_t not_before;        /* resubmit after this time (backoff) */
	bool busy;                  /* with the device */
	bool resubmit;              /* waiting to be sent again */
	bool flush;                 /* a SYNCHRONIZE CACHE */
};

struct vscsi_blk_req {
	/* --- set by the caller --------------------------------------------- */
	enum vscsi_blk_op op;
	unsigned flags;
	uint64_t lba;
	uint64_t blocks;
	const struct vscsi_sg *sg;  /* READ / WRITE data */
	unsigned sg_count;
	void (*done)(struct vscsi_blk_req *req);
	void *arg;

	/* --- set by the driver ------------------------------------------------ */
	int result;                 /* 0 or -VSCSI_E* (the first failure) */
	uint8_t sense[32];          /* sense of the first failed command */
	uint32_t sense_len;
	uint32_t commands;          /* SCSI commands it took */

	/* --- private ------------------------------------------------------------ */
	struct vscsi_lun *dev;
	uint64_t next_lba, left;    /* not yet issued */
	size_t next_byte;           /* offset in the data list of next_lba */
	unsigned inflight;
	bool sync_after;            /* FUA without DPOFUA: SYNCHRONIZE CACHE after the writes */
	bool sync_sent;
	uint32_t completions;       /* progress counter for the blocking timeout */
	bool finished;
	bool stalled;
	struct vscsi_blk_req *stall_next;
	struct vscsi_blk_piece piece[VSCSI_BLK_WINDOW];
};

/* What a block device looks like now (refreshed after media changes). */
struct vscsi_blk_info {
	uint64_t blocks;
	uint32_t block_size;
	uint32_t phys_block_size;
	bool read_only;
	bool removable;
	bool medium;             /* false: no medium: I/O gives ENOMEDIUM */
	bool cdrom;
	bool discard;            /* UNMAP or WRITE SAME(16) UNMAP available */
	bool fua;                /* DPOFUA: the device takes FUA writes */
	bool write_cache;        /* WCE: the device caches writes (flush before power-off) */
	uint32_t max_transfer_bytes; /* per command; requests are split at it */
};

bool vscsi_blk_is_block(const struct vscsi_lun *dev);
int vscsi_blk_get_info(struct vscsi_lun *dev, struct vscsi_blk_info *out);

/* Validate and start a request.  Errors returned here mean nothing was
 * sent and `done` will not run. */
int vscsi_blk_submit(struct vscsi_lun *dev, struct vscsi_blk_req *req);
/* Drive completions and restart requests waiting for a free slot or a
 * backoff: vscsi_poll_all() plus the block layer's own queue. */
void vscsi_blk_poll(void);
/* Send the commands of every request submitted so far (they are batched:
 * one notification per queue). */
void vscsi_blk_kick(struct vscsi_lun *dev);

/* Blocking calls; return 0 or -VSCSI_E*.  Timeout: the controller's. */
int vscsi_blk_exec(struct vscsi_lun *dev, struct vscsi_blk_req *req);
int vscsi_blk_read(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks, void *buf);
int vscsi_blk_write(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks, const void *buf,
		    unsigned flags);
int vscsi_blk_readv(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks,
		    const struct vscsi_sg *sg, unsigned sg_count);
int vscsi_blk_writev(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks,
		     const struct vscsi_sg *sg, unsigned sg_count, unsigned flags);
int vscsi_blk_flush(struct vscsi_lun *dev);
/* SYNCHRONIZE CACHE on every disk whose write cache is on (WCE), on every
 * controller that is not dead: call it before the host powers off.
 * (vscsi_remove() does the same for its controller's disks.)  0, or the
 * first failure; each failure is logged. */
int vscsi_blk_flush_all(void);
/* UNMAP or WRITE SAME(16) with UNMAP, as VPD B0h/B2h allow, cut at the
 * device's maximums on its unmap granularity; EOPNOTSUPP when it has
 * neither.  Reading discarded blocks afterwards gives what the device
 * decides (zeroes with LBPRZ). */
int vscsi_blk_discard(struct vscsi_lun *dev, uint64_t lba, uint64_t blocks);

/* Removable media (CD/DVD). */
int vscsi_blk_check_medium(struct vscsi_lun *dev); /* 0, or -VSCSI_ENOMEDIUM */
/*
 * Notice medium changes nobody reports: QEMU raises no virtio event when
 * a CD is changed or its tray opened, so, as Linux's cdrom layer does,
 * each removable device is asked about once a second (GET EVENT STATUS
 * NOTIFICATION, media class, MMC-6 §6.6; TEST UNIT READY for devices
 * without it), and on a change its capacity and medium are read again
 * (vscsi_lun_info, VSCSI_CHANGE_MEDIUM / _RESIZED).  Call it from the
 * idle loop, as often as you like: it sends one command per device and
 * second, and waits for none.  Not from a completion callback, nor from
 * inside a blocking call.
 */
void vscsi_blk_media_poll(void);
int vscsi_blk_lock_medium(struct vscsi_lun *dev, bool lock);
int vscsi_blk_eject(struct vscsi_lun *dev);        /* unlock, then open the tray */
int vscsi_blk_load(struct vscsi_lun *dev);         /* close the tray */

/* Byte-level helpers for the host (plain files over a block device). */
uint64_t vscsi_blk_size_bytes(struct vscsi_lun *dev);

#endif
