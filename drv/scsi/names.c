/*
 * names.c - English names for what SCSI devices and the driver report:
 * sense keys (SPC-4 §4.5.6), additional sense codes (SPC-4 §4.5.6, the
 * ASC/ASCQ assignments), status codes (SAM-5 §5.3), peripheral device
 * types (SPC-4 §6.4.2, as lsscsi names them) and operation codes.  For
 * log lines and the shell's tools; nothing here decides anything.
 */
#include "scsi/internal.h"

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

const char *scsi_opcode_name(uint8_t op)
{
	switch (op) {
	case SCSI_TEST_UNIT_READY: return "TEST UNIT READY";
	case SCSI_REQUEST_SENSE: return "REQUEST SENSE";
	case SCSI_FORMAT_UNIT: return "FORMAT UNIT";
	case SCSI_READ_6: return "READ(6)";
	case SCSI_WRITE_6: return "WRITE(6)";
	case SCSI_INQUIRY: return "INQUIRY";
	case SCSI_MODE_SELECT_6: return "MODE SELECT(6)";
	case SCSI_MODE_SENSE_6: return "MODE SENSE(6)";
	case SCSI_START_STOP_UNIT: return "START STOP UNIT";
	case SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL: return "PREVENT ALLOW MEDIUM REMOVAL";
	case SCSI_READ_CAPACITY_10: return "READ CAPACITY(10)";
	case SCSI_READ_10: return "READ(10)";
	case SCSI_WRITE_10: return "WRITE(10)";
	case SCSI_VERIFY_10: return "VERIFY(10)";
	case SCSI_SYNCHRONIZE_CACHE_10: return "SYNCHRONIZE CACHE(10)";
	case SCSI_WRITE_SAME_10: return "WRITE SAME(10)";
	case SCSI_UNMAP: return "UNMAP";
	case SCSI_READ_TOC: return "READ TOC";
	case SCSI_GET_CONFIGURATION: return "GET CONFIGURATION";
	case SCSI_GET_EVENT_STATUS_NOTIFICATION: return "GET EVENT STATUS NOTIFICATION";
	case SCSI_READ_DISC_INFORMATION: return "READ DISC INFORMATION";
	case SCSI_MODE_SELECT_10: return "MODE SELECT(10)";
	case SCSI_MODE_SENSE_10: return "MODE SENSE(10)";
	case SCSI_PERSISTENT_RESERVE_IN: return "PERSISTENT RESERVE IN";
	case SCSI_PERSISTENT_RESERVE_OUT: return "PERSISTENT RESERVE OUT";
	case SCSI_ATA_PASS_THROUGH_16: return "ATA PASS-THROUGH(16)";
	case SCSI_READ_16: return "READ(16)";
	case SCSI_WRITE_16: return "WRITE(16)";
	case SCSI_VERIFY_16: return "VERIFY(16)";
	case SCSI_SYNCHRONIZE_CACHE_16: return "SYNCHRONIZE CACHE(16)";
	case SCSI_WRITE_SAME_16: return "WRITE SAME(16)";
	case SCSI_SERVICE_ACTION_IN_16: return "SERVICE ACTION IN(16)";
	case SCSI_REPORT_LUNS: return "REPORT LUNS";
	case SCSI_MAINTENANCE_IN: return "MAINTENANCE IN";
	case SCSI_READ_12: return "READ(12)";
	case SCSI_WRITE_12: return "WRITE(12)";
	case SCSI_MECHANISM_STATUS: return "MECHANISM STATUS";
	case SCSI_READ_CD: return "READ CD";
	default: return NULL;
	}
}
