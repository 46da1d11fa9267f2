/*
 * sense.c - decoding sense data (SPC-4 §4.5) in both formats, and English
 * names for sense keys, ASC/ASCQ pairs, status codes and device types.
 * The sense bytes come from the device: every offset is checked against
 * the length actually received.
 */
#include "scsi/internal.h"

int scsi_sense_decode(const uint8_t *b, size_t len, struct scsi_sense *s)
{
	vs_memset(s, 0, sizeof(*s));
	if (!b || len < 1)
		return -VSCSI_EINVAL;
	uint8_t code = b[0] & 0x7f;
	if (code == 0x70 || code == 0x71) {
		/* Fixed format (SPC-4 §4.5.3). */
		if (len < 3)
			return -VSCSI_EINVAL;
		s->valid = true;
		s->deferred = code == 0x71;
		s->key = b[2] & 0x0f;
		s->filemark = b[2] & 0x80;
		s->eom = b[2] & 0x40;
		s->ili = b[2] & 0x20;
		if (len >= 7 && (b[0] & 0x80)) {
			s->info_valid = true;
			s->info = vs_be32(b + 3);
		}
		/* ASC/ASCQ only if both the buffer and ADDITIONAL SENSE LENGTH
		 * reach them. */
		size_t end = len;
		if (len >= 8 && (size_t)b[7] + 8 < end)
			end = (size_t)b[7] + 8;
		if (end >= 13)
			s->asc = b[12];
		if (end >= 14)
			s->ascq = b[13];
		return 0;
	}
	if (code == 0x72 || code == 0x73) {
		/* Descriptor format (SPC-4 §4.5.2). */
		if (len < 4)
			return -VSCSI_EINVAL;
		s->valid = true;
		s->descriptor = true;
		s->deferred = code == 0x73;
		s->key = b[1] & 0x0f;
		s->asc = b[2];
		s->ascq = b[3];
		if (len < 8)
			return 0;
		size_t end = (size_t)b[7] + 8;
		if (end > len)
			end = len;
		size_t off = 8;
		while (off + 2 <= end) {
			uint8_t type = b[off], dlen = b[off + 1];
			if (off + 2 + dlen > end)
				break;
			const uint8_t *d = b + off;
			if (type == 0x00 && dlen >= 0x0a) {
				/* Information descriptor. */
				s->info_valid = d[2] & 0x80;
				s->info = vs_be64(d + 4);
			} else if (type == 0x04 && dlen >= 2) {
				/* Stream commands descriptor. */
				s->filemark = d[3] & 0x80;
				s->eom = d[3] & 0x40;
				s->ili = d[3] & 0x20;
			}
			off += 2 + (size_t)dlen;
		}
		return 0;
	}
	return -VSCSI_EINVAL;
}

const char *scsi_sense_key_name(uint8_t key)
{
	static const char *const names[16] = {
		"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR",
		"HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
		"BLANK CHECK", "VENDOR SPECIFIC", "COPY ABORTED", "ABORTED COMMAND",
		"RESERVED", "VOLUME OVERFLOW", "MISCOMPARE", "COMPLETED",
	};
	return names[key & 0x0f];
}

struct asc_text {
	uint8_t asc, ascq;
	const char *text;
};

/* ASCQ 0xff: any qualifier (used after the exact entries). */
static const struct asc_text asc_table[] = {
	{ 0x00, 0x00, "no additional sense information" },
	{ 0x00, 0x06, "I/O process terminated" },
	{ 0x04, 0x00, "logical unit not ready, cause not reportable" },
	{ 0x04, 0x01, "logical unit is in process of becoming ready" },
	{ 0x04, 0x02, "logical unit not ready, initializing command required" },
	{ 0x04, 0x03, "logical unit not ready, manual intervention required" },
	{ 0x04, 0x04, "logical unit not ready, format in progress" },
	{ 0x04, 0xff, "logical unit not ready" },
	{ 0x08, 0x00, "logical unit communication failure" },
	{ 0x0c, 0x00, "write error" },
	{ 0x11, 0x00, "unrecovered read error" },
	{ 0x1a, 0x00, "parameter list length error" },
	{ 0x20, 0x00, "invalid command operation code" },
	{ 0x21, 0x00, "logical block address out of range" },
	{ 0x24, 0x00, "invalid field in cdb" },
	{ 0x25, 0x00, "logical unit not supported" },
	{ 0x26, 0x00, "invalid field in parameter list" },
	{ 0x27, 0x00, "write protected" },
	{ 0x27, 0x07, "space allocation failed write protect" },
	{ 0x28, 0x00, "not ready to ready change, medium may have changed" },
	{ 0x29, 0x00, "power on, reset, or bus device reset occurred" },
	{ 0x29, 0x01, "power on occurred" },
	{ 0x29, 0x02, "scsi bus reset occurred" },
	{ 0x29, 0x03, "bus device reset function occurred" },
	{ 0x29, 0x04, "device internal reset" },
	{ 0x29, 0x07, "i_t nexus loss occurred" },
	{ 0x29, 0xff, "power on or reset occurred" },
	{ 0x2a, 0x01, "mode parameters changed" },
	{ 0x2a, 0x09, "capacity data has changed" },
	{ 0x2a, 0xff, "parameters changed" },
	{ 0x30, 0x00, "incompatible medium installed" },
	{ 0x35, 0xff, "enclosure services failure" },
	{ 0x39, 0x00, "saving parameters not supported" },
	{ 0x3a, 0x00, "medium not present" },
	{ 0x3a, 0x01, "medium not present - tray closed" },
	{ 0x3a, 0x02, "medium not present - tray open" },
	{ 0x3f, 0x01, "microcode has been changed" },
	{ 0x3f, 0x03, "inquiry data has changed" },
	{ 0x3f, 0x0e, "reported luns data has changed" },
	{ 0x3f, 0xff, "target operating conditions have changed" },
	{ 0x44, 0x00, "internal target failure" },
	{ 0x47, 0x00, "scsi parity error" },
	{ 0x4e, 0x00, "overlapped commands attempted" },
	{ 0x53, 0x02, "medium removal prevented" },
	{ 0x55, 0x03, "insufficient resources" },
	{ 0x64, 0x00, "illegal mode for this track" },
};

const char *scsi_asc_text(uint8_t asc, uint8_t ascq)
{
	for (unsigned i = 0; i < VS_ARRAY_SIZE(asc_table); i++)
		if (asc_table[i].asc == asc && asc_table[i].ascq == ascq)
			return asc_table[i].text;
	for (unsigned i = 0; i < VS_ARRAY_SIZE(asc_table); i++)
		if (asc_table[i].asc == asc && asc_table[i].ascq == 0xff)
			return asc_table[i].text;
	return NULL;
}

int scsi_sense_format(const struct scsi_sense *s, char *buf, size_t cap)
{
	if (!s->valid)
		return vs_snprintf(buf, cap, "no valid sense data");
	const char *t = scsi_asc_text(s->asc, s->ascq);
	return vs_snprintf(buf, cap, "%s%s %02x/%02x: %s", s->deferred ? "deferred " : "",
			   scsi_sense_key_name(s->key), s->asc, s->ascq,
			   t ? t : "unknown additional sense code");
}

const char *scsi_status_name(uint8_t status)
{
	switch (status) {
	case SCSI_STATUS_GOOD: return "GOOD";
	case SCSI_STATUS_CHECK_CONDITION: return "CHECK CONDITION";
	case SCSI_STATUS_CONDITION_MET: return "CONDITION MET";
	case SCSI_STATUS_BUSY: return "BUSY";
	case SCSI_STATUS_INTERMEDIATE: return "INTERMEDIATE";
	case SCSI_STATUS_INTERMEDIATE_CONDITION_MET: return "INTERMEDIATE-CONDITION MET";
	case SCSI_STATUS_RESERVATION_CONFLICT: return "RESERVATION CONFLICT";
	case SCSI_STATUS_COMMAND_TERMINATED: return "COMMAND TERMINATED";
	case SCSI_STATUS_TASK_SET_FULL: return "TASK SET FULL";
	case SCSI_STATUS_ACA_ACTIVE: return "ACA ACTIVE";
	case SCSI_STATUS_TASK_ABORTED: return "TASK ABORTED";
	default: return "UNKNOWN STATUS";
	}
}

const char *scsi_type_name(uint8_t type)
{
	switch (type) {
	case SCSI_TYPE_DISK: return "disk";
	case SCSI_TYPE_TAPE: return "tape";
	case SCSI_TYPE_PRINTER: return "printer";
	case SCSI_TYPE_PROCESSOR: return "process";
	case SCSI_TYPE_WORM: return "worm";
	case SCSI_TYPE_CDROM: return "cd/dvd";
	case SCSI_TYPE_SCANNER: return "scanner";
	case SCSI_TYPE_OPTICAL: return "optical";
	case SCSI_TYPE_MEDIUM_CHANGER: return "mediumx";
	case SCSI_TYPE_COMM: return "comms";
	case SCSI_TYPE_RAID: return "storage";
	case SCSI_TYPE_ENCLOSURE: return "enclosu";
	case SCSI_TYPE_RBC: return "disk";
	case SCSI_TYPE_OSD: return "osd";
	case SCSI_TYPE_ZBC: return "zbc";
	case SCSI_TYPE_WLUN: return "wlun";
	case SCSI_TYPE_NO_LUN: return "no-lun";
	default: return "unknown";
	}
}
