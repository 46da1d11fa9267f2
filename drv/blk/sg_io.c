/*
 * sg_io.c - SCSI pass-through with Linux's SG_IO header.  Everything the
 * caller supplies is checked before the command is sent; the command goes
 * out exactly once (no retries: the caller sees what the device said).
 */
#include "blk/internal.h"

static unsigned short host_status_of(const struct vscsi_cmd *cmd)
{
	if (cmd->result == -VSCSI_ETIMEDOUT)
		return VSCSI_DID_TIME_OUT;
	switch (cmd->response) {
	case VSCSI_S_OK: return VSCSI_DID_OK;
	case VSCSI_S_OVERRUN: return VSCSI_DID_ERROR;
	case VSCSI_S_ABORTED: return VSCSI_DID_ABORT;
	case VSCSI_S_BAD_TARGET: return VSCSI_DID_BAD_TARGET;
	case VSCSI_S_RESET: return VSCSI_DID_RESET;
	case VSCSI_S_BUSY: return VSCSI_DID_BUS_BUSY;
	case VSCSI_S_TRANSPORT_FAILURE: return VSCSI_DID_TRANSPORT_DISRUPTED;
	case VSCSI_S_TARGET_FAILURE: return VSCSI_DID_TARGET_FAILURE;
	case VSCSI_S_NEXUS_FAILURE: return VSCSI_DID_NEXUS_FAILURE;
	case VSCSI_S_INCORRECT_LUN: return VSCSI_DID_BAD_TARGET;
	default:
		return cmd->result == -VSCSI_ECONNRESET ? VSCSI_DID_RESET : VSCSI_DID_ERROR;
	}
}

int vscsi_sg_io(struct vscsi_lun *dev, struct sg_io_hdr *hdr, bool opened_for_write)
{
	if (!dev || !hdr)
		return -VSCSI_EINVAL;
	const struct vscsi_lun_info *info = vscsi_lun_info(dev);
	struct vscsi_ctrl *c = vscsi_lun_ctrl(dev);
	const struct vscsi_glue *g = vs_ctrl_glue(c);
	if (info->gone)
		return -VSCSI_ENODEV;

	/* --- the header ------------------------------------------------------- */
	if (hdr->interface_id != SG_INTERFACE_ID_ORIG)
		return -VSCSI_EINVAL;
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(c, &ci);
	if (!hdr->cmdp || hdr->cmd_len < 6 || hdr->cmd_len > ci.cdb_size || hdr->cmd_len > 32)
		return -VSCSI_EINVAL;
	if (hdr->mx_sb_len && !hdr->sbp)
		return -VSCSI_EINVAL;
	enum vscsi_data_dir dir;
	switch (hdr->dxfer_direction) {
	case SG_DXFER_NONE: dir = VSCSI_DATA_NONE; break;
	case SG_DXFER_TO_DEV: dir = VSCSI_DATA_TO_DEVICE; break;
	case SG_DXFER_FROM_DEV:
	case SG_DXFER_TO_FROM_DEV: dir = VSCSI_DATA_FROM_DEVICE; break;
	default: return -VSCSI_EINVAL;
	}
	if (!hdr->dxfer_len)
		dir = VSCSI_DATA_NONE;
	/* One command carries it all: SG_IO is never split. */
	uint32_t limit = info->max_transfer_bytes ? info->max_transfer_bytes : ci.max_transfer;
	if (dir != VSCSI_DATA_NONE && hdr->dxfer_len > limit)
		return -VSCSI_E2BIG;

	/* The CDB is copied once: the filter judges exactly what is sent. */
	uint8_t cdb[32];
	vs_memcpy(cdb, hdr->cmdp, hdr->cmd_len);
	struct vs_blk_dev *st = vs_blk_state(dev);
	if (!st)
		return -VSCSI_ENOMEM;
	if (vs_filter_check(&st->filter, info->type, cdb, hdr->cmd_len, opened_for_write) < 0) {
		int sa = vs_cdb_service_action(cdb, hdr->cmd_len);
		const char *name = scsi_opcode_name(cdb[0]);
		char sabuf[24] = "";
		if (sa >= 0)
			vs_snprintf(sabuf, sizeof(sabuf), " service action %#x", (unsigned)sa);
		vs_log(g, VS_LOG_WARN, "vscsi %s (%u:0:%u:%u): SG_IO refused opcode %#04x%s%s%s%s",
		       info->name[0] ? info->name : info->sg_name[0] ? info->sg_name : "lun",
		       info->host, info->target, info->lun,
		       cdb[0], name ? " (" : "", name ? name : "", name ? ")" : "", sabuf);
		return -VSCSI_EPERM;
	}

	/* --- the data --------------------------------------------------------- */
	struct vscsi_sg sg[VSCSI_SG_MAX_IOVEC];
	unsigned nsg = 0;
	if (dir != VSCSI_DATA_NONE) {
		if (!hdr->dxferp)
			return -VSCSI_EINVAL;
		if (hdr->iovec_count) {
			if (hdr->iovec_count > VSCSI_SG_MAX_IOVEC)
				return -VSCSI_E2BIG;
			const struct sg_iovec *iov = hdr->dxferp;
			uint64_t sum = 0;
			for (unsigned i = 0; i < hdr->iovec_count; i++) {
				if (iov[i].iov_len && !iov[i].iov_base)
					return -VSCSI_EINVAL;
				sg[i].addr = iov[i].iov_base;
				sg[i].len = iov[i].iov_len;
				sum += iov[i].iov_len;
			}
			if (sum < hdr->dxfer_len)
				return -VSCSI_EINVAL;
			nsg = hdr->iovec_count;
		} else {
			sg[0].addr = hdr->dxferp;
			sg[0].len = hdr->dxfer_len;
			nsg = 1;
		}
	}

	struct vscsi_cmd cmd;
	uint8_t sense[VS_SENSE_SIZE];
	vs_memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = hdr->cmd_len;
	cmd.dir = dir;
	cmd.sg = nsg ? sg : NULL;
	cmd.sg_count = nsg;
	cmd.sg_len = nsg ? hdr->dxfer_len : 0;
	cmd.sense = sense;
	cmd.sense_cap = sizeof(sense);
	cmd.queue = VSCSI_QUEUE_ANY;
	cmd.timeout_ms = hdr->timeout;
	int r = vscsi_lun_exec(dev, &cmd, VSCSI_EXEC_NO_RETRY | VSCSI_EXEC_QUIET);
	if (r < 0 && cmd.tag == 0)
		return r; /* never sent */

	/* --- results, as Linux reports them ------------------------------------ */
	hdr->status = cmd.response == VSCSI_S_OK ? cmd.status : 0;
	hdr->masked_status = (unsigned char)((hdr->status >> 1) & 0x7f);
	hdr->msg_status = 0;
	uint32_t sl = cmd.sense_len < hdr->mx_sb_len ? cmd.sense_len : hdr->mx_sb_len;
	if (sl)
		vs_memcpy(hdr->sbp, sense, sl);
	hdr->sb_len_wr = (unsigned char)sl;
	hdr->host_status = host_status_of(&cmd);
	hdr->driver_status = cmd.result == -VSCSI_ETIMEDOUT ? VSCSI_DRIVER_TIMEOUT
			     : cmd.sense_len                ? VSCSI_DRIVER_SENSE
							    : VSCSI_DRIVER_OK;
	hdr->resid = (int)(nsg ? cmd.resid : 0);
	hdr->duration = (unsigned int)(cmd.duration_ns / 1000000u);
	hdr->info = (hdr->status || hdr->host_status || hdr->driver_status) ? SG_INFO_CHECK
									     : SG_INFO_OK;
	if (nsg && cmd.resid_invalid) {
		/* Neither 0 nor the whole buffer would be the truth: say so. */
		hdr->info |= VSCSI_SG_INFO_RESID_UNKNOWN;
		vs_log(g, VS_LOG_INFO, "vscsi %s (%u:0:%u:%u): SG_IO opcode %#04x: the device "
		       "reported a residual larger than the %u-byte buffer; bytes moved unknown",
		       info->name[0] ? info->name : "lun", info->host, info->target, info->lun,
		       cdb[0], hdr->dxfer_len);
	}
	return 0;
}
