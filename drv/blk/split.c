/*
 * split.c - the pure part of the block layer: checking a request against
 * the device before anything is sent, cutting it into commands the device
 * accepts (READ/WRITE at its transfer and segment limits; discards as UNMAP
 * or WRITE SAME(16) at its unmap limits and granularity), and deciding
 * what a completed command means (retry, fail with which error; a short
 * transfer is a failure).  No I/O here, so all of it is unit-tested
 * directly.
 */
#include "blk/internal.h"

#define PAGE_BYTES 4096u

unsigned vs_blk_pages(uintptr_t addr, size_t len)
{
	if (!len)
		return 0;
	return (unsigned)(((addr % PAGE_BYTES) + len + PAGE_BYTES - 1) / PAGE_BYTES);
}

uint64_t vs_blk_piece_blocks(const struct vscsi_sg *sg, unsigned n, size_t start,
			     uint64_t left, uint32_t block_size, uint32_t max_bytes,
			     unsigned max_segs)
{
	if (!block_size || !left || !max_segs)
		return 0;
	uint64_t limit = max_bytes - max_bytes % block_size;
	if (limit / block_size > left)
		limit = left * block_size;
	uint64_t acc = 0;
	unsigned segs = 0, i = 0;
	size_t off = start;
	while (i < n && off >= sg[i].len) {
		off -= sg[i].len;
		i++;
	}
	while (acc < limit && i < n) {
		size_t avail = sg[i].len - off;
		if (!avail) {
			i++;
			off = 0;
			continue;
		}
		uint64_t take = avail;
		if (take > limit - acc)
			take = limit - acc;
		uintptr_t addr = (uintptr_t)sg[i].addr + off;
		unsigned pages = vs_blk_pages(addr, (size_t)take);
		if (segs + pages > max_segs) {
			/* Only what fits in the remaining segments, up to the end
			 * of their last page.  With no segment left nothing more
			 * fits: the command ends here (a dma_map may give each
			 * page its own segment, so a page is the unit). */
			unsigned room = max_segs - segs;
			if (room) {
				uint64_t fit = (uint64_t)room * PAGE_BYTES - addr % PAGE_BYTES;
				if (fit < take)
					take = fit;
				acc += take;
			}
			break;
		}
		segs += pages;
		acc += take;
		off += (size_t)take;
		if (off == sg[i].len) {
			i++;
			off = 0;
		}
	}
	return acc / block_size;
}

/*
 * Discards (SBC-4: the UNMAP command, or WRITE SAME (16) with the UNMAP bit).
 * UNMAP when the logical block provisioning VPD page (B2h, SBC-4 §6.6.6)
 * has LBPU and the block limits page (B0h, SBC-4 §6.6.4) says how much
 * one may carry (MAXIMUM UNMAP LBA COUNT and MAXIMUM UNMAP BLOCK
 * DESCRIPTOR COUNT, both 0 when UNMAP is not supported); else WRITE
 * SAME(16) with UNMAP when B2h has LBPWS.  Linux's sd makes the same
 * choice.
 */
enum vs_discard_mode vs_blk_discard_mode(const struct vscsi_lun_info *i)
{
	if (i->unmap_supported && i->max_unmap_blocks && i->max_unmap_descriptors)
		return VS_DISCARD_UNMAP;
	return i->ws16_unmap ? VS_DISCARD_WRITE_SAME : VS_DISCARD_NONE;
}

/* WRITE SAME(16) blocks per command when B0h gives no MAXIMUM WRITE SAME
 * LENGTH (0): a bounded amount of work per command, a multiple of any
 * power-of-two granularity. */
#define WRITE_SAME_DEFAULT_MAX 0x400000u

/*
 * Blocks of the next discard command at `lba`, `left` blocks to go.  At
 * most the device's maximum for the command (MAXIMUM UNMAP LBA COUNT, or
 * MAXIMUM WRITE SAME LENGTH), and at most FFFFFFFFh (one UNMAP block
 * descriptor's NUMBER OF LOGICAL BLOCKS, the WRITE SAME(16) field).  When
 * the range needs more than one command, each command but the last ends
 * on a boundary of the OPTIMAL UNMAP GRANULARITY (shifted by the UNMAP
 * GRANULARITY ALIGNMENT when UGAVALID is set, SBC-4 §6.6.4): a device may
 * leave a granule mapped unless one command covers all of it, so a
 * granule is never split between two commands.
 */
uint64_t vs_blk_discard_blocks(const struct vscsi_lun_info *i, enum vs_discard_mode mode,
			       uint64_t lba, uint64_t left)
{
	uint64_t max;
	if (mode == VS_DISCARD_UNMAP)
		max = i->max_unmap_blocks; /* FFFFFFFFh: no limit but the field's */
	else
		max = i->max_write_same_blocks ? i->max_write_same_blocks : WRITE_SAME_DEFAULT_MAX;
	if (max > 0xffffffffu)
		max = 0xffffffffu;
	if (!max)
		return 0;
	if (left <= max)
		return left;
	uint64_t gran = i->unmap_granularity;
	if (gran > 1 && max >= gran) {
		uint64_t align = i->unmap_alignment_valid ? i->unmap_alignment % gran : 0;
		uint64_t end = lba + max;
		/* The last granule boundary at or before `end`: boundaries are
		 * the LBAs b with b % gran == align. */
		uint64_t back = (end % gran + gran - align) % gran;
		if (end - back > lba)
			return end - back - lba;
	}
	return max;
}

static int check_range(const struct vscsi_lun_info *info, uint64_t lba, uint64_t blocks)
{
	if (!blocks)
		return -VSCSI_EINVAL;
	if (lba >= info->blocks || blocks > info->blocks - lba)
		return -VSCSI_ERANGE;
	return 0;
}

int vs_blk_validate(const struct vscsi_lun_info *info, const struct vscsi_blk_req *req)
{
	if (info->gone)
		return -VSCSI_ENODEV;
	if (!info->block_size)
		return -VSCSI_EIO;
	bool removable_empty = !info->medium;
	switch (req->op) {
	case VSCSI_BLK_READ:
	case VSCSI_BLK_WRITE: {
		if (removable_empty)
			return -VSCSI_ENOMEDIUM;
		if (req->op == VSCSI_BLK_WRITE && info->read_only)
			return -VSCSI_EROFS;
		int r = check_range(info, req->lba, req->blocks);
		if (r)
			return r;
		if (!req->sg || !req->sg_count)
			return -VSCSI_EINVAL;
		uint64_t total = 0;
		for (unsigned i = 0; i < req->sg_count; i++) {
			if (req->sg[i].len && !req->sg[i].addr)
				return -VSCSI_EINVAL;
			total += req->sg[i].len;
		}
		/* Whole blocks, exactly the range: nothing unaligned reaches the device. */
		if (req->blocks > UINT64_MAX / info->block_size ||
		    total != req->blocks * info->block_size)
			return -VSCSI_EINVAL;
		return 0;
	}
	case VSCSI_BLK_DISCARD:
		if (removable_empty)
			return -VSCSI_ENOMEDIUM;
		if (info->read_only)
			return -VSCSI_EROFS;
		if (vs_blk_discard_mode(info) == VS_DISCARD_NONE)
			return -VSCSI_EOPNOTSUPP;
		return check_range(info, req->lba, req->blocks);
	case VSCSI_BLK_FLUSH:
		if (removable_empty)
			return -VSCSI_ENOMEDIUM;
		return 0;
	default:
		return -VSCSI_EINVAL;
	}
}

#define RETRY_UA 8
#define RETRY_BUSY 10
#define RETRY_RESET 3
#define RETRY_BECOMING_READY 50

/*
 * A READ or WRITE that ended well but did not move every byte it asked
 * for: the residual of virtio 1.2 §5.6.6.1 is not 0 (the rest of a read
 * buffer holds stale bytes, the rest of a write never reached the device),
 * or it is larger than the transfer (an impossible report: how much moved
 * is unknown; QEMU 7.2 gives one for a WRITE it completes after a
 * werror=stop pause).  Never success: the command is sent again whole
 * (READ and WRITE may be repeated: the result is the same) up to
 * RETRY_SHORT times, then the request fails with EIO.  disk.c logs each.
 */
#define RETRY_SHORT 2

static void short_transfer(enum vscsi_blk_op op, const struct vscsi_cmd *cmd, uint32_t retries,
			   struct vs_blk_verdict *v)
{
	if ((op != VSCSI_BLK_READ && op != VSCSI_BLK_WRITE) || (!cmd->resid && !cmd->resid_invalid))
		return;
	v->short_transfer = true;
	v->err = -VSCSI_EIO;
	v->action = retries < RETRY_SHORT ? VS_BLK_RETRY : VS_BLK_FAIL;
}

void vs_blk_classify(enum vscsi_blk_op op, const struct vscsi_cmd *cmd, uint32_t retries,
		     struct vs_blk_verdict *v)
{
	vs_memset(v, 0, sizeof(*v));
	v->action = VS_BLK_FAIL;
	v->err = cmd->result;
	switch (cmd->result) {
	case 0:
		v->action = VS_BLK_OK;
		short_transfer(op, cmd, retries, v);
		return;
	case -VSCSI_EBUSY:
		if (retries < RETRY_BUSY) {
			v->action = VS_BLK_RETRY_LATER;
			v->delay_us = 1000u << (retries < 6 ? retries : 6);
		}
		return;
	case -VSCSI_ECONNRESET: /* cancelled by a reset: it did not run */
	case -VSCSI_ECANCELED:  /* aborted by the host, not by a timeout of ours */
		if (retries < RETRY_RESET)
			v->action = VS_BLK_RETRY;
		return;
	case -VSCSI_EIO:
		break;
	default:
		return; /* ENXIO, ETIMEDOUT, EOVERFLOW, EPROTO ...: fail as is */
	}
	if (cmd->response == VSCSI_S_OK && cmd->status == SCSI_STATUS_RESERVATION_CONFLICT) {
		/* RESERVATION CONFLICT (SAM-5 status 18h): another initiator
		 * holds a reservation (SPC-4 persistent reservations).  The
		 * command did not run, and retrying will not help until the
		 * holder lets go.  Its own code, as Linux's EBADE, so that the
		 * caller can say what happened. */
		v->err = -VSCSI_EBADE;
		return;
	}
	if (cmd->response != VSCSI_S_OK || cmd->status != SCSI_STATUS_CHECK_CONDITION)
		return;
	struct scsi_sense s;
	if (scsi_sense_decode(cmd->sense, cmd->sense_len, &s) < 0)
		return;
	switch (s.key) {
	case SCSI_SK_RECOVERED_ERROR:
		v->action = VS_BLK_OK; /* done, with recovery */
		short_transfer(op, cmd, retries, v);
		return;
	case SCSI_SK_UNIT_ATTENTION:
		/* The command did not run (SAM-5 §5.14): retry, after noting why. */
		if (s.asc == 0x3a) {
			v->medium_gone = true;
			v->revalidate = true;
			v->err = -VSCSI_ENOMEDIUM;
			return;
		}
		if (s.asc == 0x28 || s.asc == 0x2a || s.asc == 0x29 || s.asc == 0x3f)
			v->revalidate = s.asc != 0x29 && s.asc != 0x3f;
		if (retries < RETRY_UA)
			v->action = VS_BLK_RETRY;
		return;
	case SCSI_SK_NOT_READY:
		if (s.asc == 0x3a) {
			v->medium_gone = true;
			v->err = -VSCSI_ENOMEDIUM;
		} else if (s.asc == 0x04 && s.ascq == 0x01 && retries < RETRY_BECOMING_READY) {
			v->action = VS_BLK_RETRY_LATER;
			v->delay_us = 100000;
		}
		return;
	case SCSI_SK_ILLEGAL_REQUEST:
		if (s.asc == 0x21)
			v->err = -VSCSI_ERANGE;
		else if (s.asc == 0x20) {
			/* No SYNCHRONIZE CACHE: the device has nothing to flush. */
			if (op == VSCSI_BLK_FLUSH)
				v->action = VS_BLK_OK;
			v->err = -VSCSI_EOPNOTSUPP;
		} else if (s.asc == 0x25)
			v->err = -VSCSI_ENXIO;
		else if (s.asc == 0x24 || s.asc == 0x26 || s.asc == 0x1a)
			v->err = -VSCSI_EINVAL;
		return;
	case SCSI_SK_DATA_PROTECT:
		if (s.asc == 0x27 && s.ascq == 0x07) {
			/* SPACE ALLOCATION FAILED WRITE PROTECT (SBC-3 §4.7.3.6):
			 * a thin-provisioned device ran out of space; the medium
			 * is not write protected.  Linux reports ENOSPC too. */
			v->err = -VSCSI_ENOSPC;
		} else if (s.asc == 0x27) {
			v->write_protected = true;
			v->err = -VSCSI_EROFS;
		}
		return;
	case SCSI_SK_ABORTED_COMMAND:
		if (retries < RETRY_RESET)
			v->action = VS_BLK_RETRY;
		return;
	default:
		return; /* medium / hardware errors: EIO */
	}
}
