/*
 * filter.c - which SG_IO commands a device lets through.
 *
 * In the spirit of Linux's SCSI command filter (block/scsi_ioctl.c): a
 * reader may ask the device anything that only informs or reads; a writer
 * may also change the medium and the device's state; anything else
 * (firmware download, FORMAT UNIT, PERSISTENT RESERVE OUT, vendor
 * commands ...) needs the administrator, through an allow entry or the
 * UNFILTERED policy.  Our own table, written from SPC-4/SBC-3/MMC-6.
 */
#include "blk/internal.h"

enum command_class { CLASS_READ, CLASS_WRITE };

/* Which device types an entry applies to. */
enum type_selector { ANY_TYPE, MMC_ONLY, NOT_MMC };

struct command_class_entry {
	uint8_t opcode;
	int16_t sa;              /* -1: any service action */
	uint8_t cls;
	uint8_t types;
};

static const struct command_class_entry command_table[] = {
	/* informational */
	{ SCSI_TEST_UNIT_READY, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_REQUEST_SENSE, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_INQUIRY, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_MODE_SENSE_6, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_MODE_SENSE_10, -1, CLASS_READ, ANY_TYPE },
	{ 0x4d /* LOG SENSE */, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_RECEIVE_DIAGNOSTIC, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_READ_CAPACITY_10, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16, CLASS_READ, ANY_TYPE },
	{ SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_GET_LBA_STATUS, CLASS_READ, ANY_TYPE },
	{ SCSI_REPORT_LUNS, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_MAINTENANCE_IN, SCSI_MI_REPORT_SUPPORTED_OPCODES, CLASS_READ, ANY_TYPE },
	{ SCSI_MAINTENANCE_IN, 0x0d /* REPORT SUPPORTED TMFs */, CLASS_READ, ANY_TYPE },
	{ SCSI_MAINTENANCE_IN, 0x0a /* REPORT TARGET PORT GROUPS */, CLASS_READ, ANY_TYPE },
	{ SCSI_PERSISTENT_RESERVE_IN, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_READ_FORMAT_CAPACITIES, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_READ_DEFECT_DATA_10, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_READ_MEDIA_SERIAL, -1, CLASS_READ, ANY_TYPE },
	/* reading the medium */
	{ SCSI_READ_6, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_READ_10, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_READ_12, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_READ_16, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_VERIFY_10, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_VERIFY_12, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_VERIFY_16, -1, CLASS_READ, ANY_TYPE },
	/* CD/DVD information and reading (MMC-6) */
	{ SCSI_READ_SUB_CHANNEL, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_READ_TOC, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_READ_HEADER, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_GET_CONFIGURATION, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_GET_EVENT_STATUS_NOTIFICATION, -1, CLASS_READ, ANY_TYPE },
	{ SCSI_READ_DISC_INFORMATION, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_READ_TRACK_INFORMATION, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_GET_PERFORMANCE, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_READ_DVD_STRUCTURE, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_MECHANISM_STATUS, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_READ_CD, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_READ_CD_MSF, -1, CLASS_READ, MMC_ONLY },
	{ SCSI_PLAY_AUDIO_10, -1, CLASS_READ, MMC_ONLY },
	/* changing the medium or the device's state */
	{ SCSI_WRITE_6, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_WRITE_10, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_WRITE_12, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_WRITE_16, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_WRITE_VERIFY_10, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_WRITE_VERIFY_12, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_WRITE_VERIFY_16, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_WRITE_SAME_10, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_WRITE_SAME_16, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_UNMAP, -1, CLASS_WRITE, NOT_MMC },
	{ SCSI_COMPARE_AND_WRITE, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_SYNCHRONIZE_CACHE_10, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_SYNCHRONIZE_CACHE_16, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_MODE_SELECT_6, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_MODE_SELECT_10, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_START_STOP_UNIT, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, -1, CLASS_WRITE, ANY_TYPE },
	{ SCSI_LOAD_UNLOAD_CD, -1, CLASS_WRITE, MMC_ONLY },
	{ SCSI_SET_CD_SPEED, -1, CLASS_WRITE, MMC_ONLY },
	{ SCSI_SET_STREAMING, -1, CLASS_WRITE, MMC_ONLY },
};

int vs_cdb_service_action(const uint8_t *cdb, unsigned len)
{
	if (!len)
		return -1;
	switch (cdb[0]) {
	case SCSI_SERVICE_ACTION_IN_16:
	case 0x9f: /* SERVICE ACTION OUT(16) */
	case SCSI_MAINTENANCE_IN:
	case SCSI_MAINTENANCE_OUT:
	case SCSI_PERSISTENT_RESERVE_IN:
	case SCSI_PERSISTENT_RESERVE_OUT:
	case 0x83: /* EXTENDED COPY family */
	case 0x84: /* RECEIVE COPY RESULTS family */
	case 0x48: /* SANITIZE */
		return len >= 2 ? cdb[1] & 0x1f : -1;
	case SCSI_VARIABLE_LENGTH:
		return len >= 10 ? vs_be16(cdb + 8) : -1;
	default:
		return -1;
	}
}

static bool is_mmc(uint8_t type)
{
	return type == SCSI_TYPE_CDROM || type == SCSI_TYPE_WORM;
}

enum vscsi_sg_verdict vs_filter_decide(const struct vs_filter *f, uint8_t type,
				       const uint8_t *cdb, unsigned len, bool opened_for_write)
{
	if (!cdb || !len)
		return VSCSI_SG_DENIED_BY_POLICY;
	uint8_t op = cdb[0];
	int sa = vs_cdb_service_action(cdb, len);

	/* Administrator entries first: deny beats allow. */
	if (f) {
		int verdict = 0; /* 0 none, 1 allow, -1 deny */
		for (unsigned i = 0; i < f->n; i++) {
			const struct vs_filter_rule *r = &f->rule[i];
			if (r->opcode != op || (r->has_sa && r->service_action != sa))
				continue;
			if (!r->allow)
				verdict = -1;
			else if (verdict == 0)
				verdict = 1;
		}
		if (verdict < 0)
			return VSCSI_SG_DENIED_BY_ENTRY;
		if (verdict > 0)
			return VSCSI_SG_ALLOWED_BY_ENTRY;
		if (f->policy == VSCSI_SG_UNFILTERED)
			return VSCSI_SG_ALLOWED_BY_POLICY;
	}
	bool mmc = is_mmc(type);
	for (unsigned i = 0; i < VS_ARRAY_SIZE(command_table); i++) {
		const struct command_class_entry *e = &command_table[i];
		if (e->opcode != op || (e->sa >= 0 && e->sa != sa))
			continue;
		if ((e->types == MMC_ONLY && !mmc) || (e->types == NOT_MMC && mmc))
			continue;
		if (e->cls == CLASS_READ || opened_for_write)
			return VSCSI_SG_ALLOWED_BY_POLICY;
		return VSCSI_SG_DENIED_BY_POLICY;
	}
	return VSCSI_SG_DENIED_BY_POLICY;
}

int vs_filter_check(const struct vs_filter *f, uint8_t type, const uint8_t *cdb, unsigned len,
		    bool opened_for_write)
{
	enum vscsi_sg_verdict v = vs_filter_decide(f, type, cdb, len, opened_for_write);
	return v == VSCSI_SG_ALLOWED_BY_ENTRY || v == VSCSI_SG_ALLOWED_BY_POLICY ? 0
										 : -VSCSI_EPERM;
}

/* --- per-device API ------------------------------------------------------------ */

int vscsi_sg_set_policy(struct vscsi_lun *dev, enum vscsi_sg_policy policy)
{
	struct vs_blk_dev *st = dev ? vs_blk_state(dev) : NULL;
	if (!st)
		return dev ? -VSCSI_ENOMEM : -VSCSI_EINVAL;
	if (policy != VSCSI_SG_FILTERED && policy != VSCSI_SG_UNFILTERED)
		return -VSCSI_EINVAL;
	st->filter.policy = policy;
	return 0;
}

enum vscsi_sg_policy vscsi_sg_get_policy(struct vscsi_lun *dev)
{
	struct vs_blk_dev *st = dev ? vs_blk_state(dev) : NULL;
	return st ? st->filter.policy : VSCSI_SG_FILTERED;
}

int vscsi_sg_filter_add(struct vscsi_lun *dev, uint8_t opcode, int service_action, bool allow)
{
	struct vs_blk_dev *st = dev ? vs_blk_state(dev) : NULL;
	if (!st)
		return dev ? -VSCSI_ENOMEM : -VSCSI_EINVAL;
	if (service_action < VSCSI_SG_ANY_SA || service_action > 0xffff)
		return -VSCSI_EINVAL;
	struct vs_filter *f = &st->filter;
	if (f->n >= VS_FILTER_MAX_RULES)
		return -VSCSI_ENOSPC;
	struct vs_filter_rule *r = &f->rule[f->n++];
	r->opcode = opcode;
	r->has_sa = service_action >= 0;
	r->service_action = (uint16_t)(service_action >= 0 ? service_action : 0);
	r->allow = allow;
	return 0;
}

void vscsi_sg_filter_clear(struct vscsi_lun *dev)
{
	struct vs_blk_dev *st = dev ? vs_blk_state(dev) : NULL;
	if (st)
		st->filter.n = 0;
}

int vscsi_sg_filter_list(struct vscsi_lun *dev, struct vscsi_sg_filter_entry *out,
			 unsigned max)
{
	struct vs_blk_dev *st = dev ? vs_blk_state(dev) : NULL;
	if (!st)
		return dev ? -VSCSI_ENOMEM : -VSCSI_EINVAL;
	if (!out && max)
		return -VSCSI_EINVAL;
	const struct vs_filter *f = &st->filter;
	for (unsigned i = 0; i < f->n && i < max; i++) {
		const struct vs_filter_rule *r = &f->rule[i];
		out[i].opcode = r->opcode;
		out[i].service_action = r->has_sa ? r->service_action : VSCSI_SG_ANY_SA;
		out[i].allow = r->allow;
	}
	return (int)f->n;
}

int vscsi_sg_filter_check(struct vscsi_lun *dev, const uint8_t *cdb, unsigned cdb_len,
			  bool opened_for_write)
{
	struct vs_blk_dev *st = dev ? vs_blk_state(dev) : NULL;
	if (!st)
		return -VSCSI_EINVAL;
	return vs_filter_check(&st->filter, vscsi_lun_info(dev)->type, cdb, cdb_len,
			       opened_for_write);
}

int vscsi_sg_filter_verdict(struct vscsi_lun *dev, const uint8_t *cdb, unsigned cdb_len,
			    bool opened_for_write)
{
	struct vs_blk_dev *st = dev ? vs_blk_state(dev) : NULL;
	if (!st)
		return -VSCSI_EINVAL;
	return (int)vs_filter_decide(&st->filter, vscsi_lun_info(dev)->type, cdb, cdb_len,
				     opened_for_write);
}
