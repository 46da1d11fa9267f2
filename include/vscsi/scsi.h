/*
 * scsi.h - SCSI constants, CDB builders and sense decoding.
 *
 * Public so that users of SG_IO and vscsi_exec() can build commands and
 * read sense data with the same code the driver uses.  Plain C, no libc.
 * All multi-byte fields in CDBs and SCSI data are big-endian (SPC-4 §3.5).
 */
#ifndef VSCSI_SCSI_H
#define VSCSI_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- operation codes (SPC-4, SBC-3, MMC-6) ------------------------------- */
#define SCSI_TEST_UNIT_READY 0x00
#define SCSI_REZERO_UNIT 0x01
#define SCSI_REQUEST_SENSE 0x03
#define SCSI_FORMAT_UNIT 0x04
#define SCSI_READ_6 0x08
#define SCSI_WRITE_6 0x0a
#define SCSI_SEEK_6 0x0b
#define SCSI_INQUIRY 0x12
#define SCSI_MODE_SELECT_6 0x15
#define SCSI_RESERVE_6 0x16
#define SCSI_RELEASE_6 0x17
#define SCSI_MODE_SENSE_6 0x1a
#define SCSI_START_STOP_UNIT 0x1b
#define SCSI_RECEIVE_DIAGNOSTIC 0x1c
#define SCSI_SEND_DIAGNOSTIC 0x1d
#define SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL 0x1e
#define SCSI_READ_FORMAT_CAPACITIES 0x23
#define SCSI_READ_CAPACITY_10 0x25
#define SCSI_READ_10 0x28
#define SCSI_WRITE_10 0x2a
#define SCSI_SEEK_10 0x2b
#define SCSI_WRITE_VERIFY_10 0x2e
#define SCSI_VERIFY_10 0x2f
#define SCSI_SYNCHRONIZE_CACHE_10 0x35
#define SCSI_READ_DEFECT_DATA_10 0x37
#define SCSI_WRITE_BUFFER 0x3b
#define SCSI_READ_BUFFER 0x3c
#define SCSI_READ_LONG_10 0x3e
#define SCSI_WRITE_SAME_10 0x41
#define SCSI_UNMAP 0x42
#define SCSI_READ_SUB_CHANNEL 0x42 /* MMC: same opcode as UNMAP */
#define SCSI_READ_TOC 0x43
#define SCSI_READ_HEADER 0x44
#define SCSI_PLAY_AUDIO_10 0x45
#define SCSI_GET_CONFIGURATION 0x46
#define SCSI_GET_EVENT_STATUS_NOTIFICATION 0x4a
#define SCSI_READ_DISC_INFORMATION 0x51
#define SCSI_READ_TRACK_INFORMATION 0x52
#define SCSI_MODE_SELECT_10 0x55
#define SCSI_RESERVE_10 0x56
#define SCSI_RELEASE_10 0x57
#define SCSI_MODE_SENSE_10 0x5a
#define SCSI_PERSISTENT_RESERVE_IN 0x5e
#define SCSI_PERSISTENT_RESERVE_OUT 0x5f
#define SCSI_VARIABLE_LENGTH 0x7f
#define SCSI_ATA_PASS_THROUGH_16 0x85
#define SCSI_READ_16 0x88
#define SCSI_COMPARE_AND_WRITE 0x89
#define SCSI_WRITE_16 0x8a
#define SCSI_WRITE_VERIFY_16 0x8e
#define SCSI_VERIFY_16 0x8f
#define SCSI_SYNCHRONIZE_CACHE_16 0x91
#define SCSI_WRITE_SAME_16 0x93
#define SCSI_SERVICE_ACTION_IN_16 0x9e
#define SCSI_SAI_READ_CAPACITY_16 0x10 /* service action of 0x9e */
#define SCSI_SAI_GET_LBA_STATUS 0x12
#define SCSI_REPORT_LUNS 0xa0
#define SCSI_ATA_PASS_THROUGH_12 0xa1
#define SCSI_SECURITY_PROTOCOL_IN 0xa2
#define SCSI_MAINTENANCE_IN 0xa3
#define SCSI_MI_REPORT_SUPPORTED_OPCODES 0x0c
#define SCSI_MAINTENANCE_OUT 0xa4
#define SCSI_MOVE_MEDIUM 0xa5
#define SCSI_LOAD_UNLOAD_CD 0xa6
#define SCSI_READ_12 0xa8
#define SCSI_WRITE_12 0xaa
#define SCSI_READ_MEDIA_SERIAL 0xab
#define SCSI_GET_PERFORMANCE 0xac
#define SCSI_READ_DVD_STRUCTURE 0xad
#define SCSI_WRITE_VERIFY_12 0xae
#define SCSI_VERIFY_12 0xaf
#define SCSI_SECURITY_PROTOCOL_OUT 0xb5
#define SCSI_SET_STREAMING 0xb6
#define SCSI_READ_CD_MSF 0xb9
#define SCSI_SET_CD_SPEED 0xbb
#define SCSI_MECHANISM_STATUS 0xbd
#define SCSI_READ_CD 0xbe

/* --- SAM status codes (SAM-5 §5.3) --------------------------------------- */
#define SCSI_STATUS_GOOD 0x00
#define SCSI_STATUS_CHECK_CONDITION 0x02
#define SCSI_STATUS_CONDITION_MET 0x04
#define SCSI_STATUS_BUSY 0x08
#define SCSI_STATUS_INTERMEDIATE 0x10
#define SCSI_STATUS_INTERMEDIATE_CONDITION_MET 0x14
#define SCSI_STATUS_RESERVATION_CONFLICT 0x18
#define SCSI_STATUS_COMMAND_TERMINATED 0x22
#define SCSI_STATUS_TASK_SET_FULL 0x28
#define SCSI_STATUS_ACA_ACTIVE 0x30
#define SCSI_STATUS_TASK_ABORTED 0x40

/* --- sense keys (SPC-4 §4.5.6) ------------------------------------------- */
#define SCSI_SK_NO_SENSE 0x0
#define SCSI_SK_RECOVERED_ERROR 0x1
#define SCSI_SK_NOT_READY 0x2
#define SCSI_SK_MEDIUM_ERROR 0x3
#define SCSI_SK_HARDWARE_ERROR 0x4
#define SCSI_SK_ILLEGAL_REQUEST 0x5
#define SCSI_SK_UNIT_ATTENTION 0x6
#define SCSI_SK_DATA_PROTECT 0x7
#define SCSI_SK_BLANK_CHECK 0x8
#define SCSI_SK_VENDOR_SPECIFIC 0x9
#define SCSI_SK_COPY_ABORTED 0xa
#define SCSI_SK_ABORTED_COMMAND 0xb
#define SCSI_SK_VOLUME_OVERFLOW 0xd
#define SCSI_SK_MISCOMPARE 0xe
#define SCSI_SK_COMPLETED 0xf

/* --- peripheral device types (SPC-4 §6.4.2) ------------------------------- */
#define SCSI_TYPE_DISK 0x00
#define SCSI_TYPE_TAPE 0x01
#define SCSI_TYPE_PRINTER 0x02
#define SCSI_TYPE_PROCESSOR 0x03
#define SCSI_TYPE_WORM 0x04
#define SCSI_TYPE_CDROM 0x05
#define SCSI_TYPE_SCANNER 0x06
#define SCSI_TYPE_OPTICAL 0x07
#define SCSI_TYPE_MEDIUM_CHANGER 0x08
#define SCSI_TYPE_COMM 0x09
#define SCSI_TYPE_RAID 0x0c
#define SCSI_TYPE_ENCLOSURE 0x0d
#define SCSI_TYPE_RBC 0x0e
#define SCSI_TYPE_OSD 0x11
#define SCSI_TYPE_ZBC 0x14
#define SCSI_TYPE_WLUN 0x1e
#define SCSI_TYPE_NO_LUN 0x1f

/* --- VPD pages ---------------------------------------------------------- */
#define SCSI_VPD_SUPPORTED_PAGES 0x00
#define SCSI_VPD_UNIT_SERIAL 0x80
#define SCSI_VPD_DEVICE_ID 0x83
#define SCSI_VPD_BLOCK_LIMITS 0xb0
#define SCSI_VPD_BLOCK_CHARACTERISTICS 0xb1
#define SCSI_VPD_LB_PROVISIONING 0xb2

/* Mode pages */
#define SCSI_MODE_PAGE_CACHING 0x08
#define SCSI_MODE_PAGE_ALL 0x3f
#define SCSI_MODE_PC_CURRENT 0
#define SCSI_MODE_PC_CHANGEABLE 1
#define SCSI_MODE_PC_DEFAULT 2

/* The longest CDB any builder writes. */
#define SCSI_MAX_CDB 16

/* --- CDB builders: fill `cdb` (SCSI_MAX_CDB bytes), return its length --- */
unsigned scsi_cdb_test_unit_ready(uint8_t *cdb);
unsigned scsi_cdb_inquiry(uint8_t *cdb, bool evpd, uint8_t page, uint16_t alloc);
unsigned scsi_cdb_request_sense(uint8_t *cdb, bool descriptor, uint8_t alloc);
unsigned scsi_cdb_read_capacity10(uint8_t *cdb);
unsigned scsi_cdb_read_capacity16(uint8_t *cdb, uint32_t alloc);
unsigned scsi_cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t blocks, bool fua);
unsigned scsi_cdb_write10(uint8_t *cdb, uint32_t lba, uint16_t blocks, bool fua);
unsigned scsi_cdb_read16(uint8_t *cdb, uint64_t lba, uint32_t blocks, bool fua);
unsigned scsi_cdb_write16(uint8_t *cdb, uint64_t lba, uint32_t blocks, bool fua);
/* READ/WRITE (10) when the LBA fits 32 bits and the count 16 bits (and is
 * not zero: a zero count means "none" in (10) but is legal), else (16).
 * Returns 0 if `blocks` is 0. */
unsigned scsi_cdb_rw(uint8_t *cdb, bool write, uint64_t lba, uint32_t blocks, bool fua);
bool scsi_rw_needs_16(uint64_t lba, uint32_t blocks);
unsigned scsi_cdb_sync_cache10(uint8_t *cdb, uint32_t lba, uint16_t blocks);
unsigned scsi_cdb_sync_cache16(uint8_t *cdb, uint64_t lba, uint32_t blocks);
/* UNMAP with a parameter list of `param_len` bytes (see scsi_unmap_params). */
unsigned scsi_cdb_unmap(uint8_t *cdb, uint16_t param_len);
struct scsi_unmap_range {
	uint64_t lba;
	uint32_t blocks;
};
/* Build the UNMAP parameter list (SBC-3 §5.28.2); returns its length, or
 * 0 if `cap` is too small. */
size_t scsi_unmap_params(uint8_t *buf, size_t cap, const struct scsi_unmap_range *r,
			 unsigned n);
unsigned scsi_cdb_write_same16(uint8_t *cdb, uint64_t lba, uint32_t blocks, bool unmap);
unsigned scsi_cdb_mode_sense6(uint8_t *cdb, bool dbd, uint8_t pc, uint8_t page,
			      uint8_t subpage, uint8_t alloc);
unsigned scsi_cdb_mode_sense10(uint8_t *cdb, bool dbd, uint8_t pc, uint8_t page,
			       uint8_t subpage, uint16_t alloc);
unsigned scsi_cdb_start_stop_unit(uint8_t *cdb, bool immed, bool loej, bool start);
unsigned scsi_cdb_prevent_allow(uint8_t *cdb, bool prevent);
unsigned scsi_cdb_read_toc(uint8_t *cdb, bool msf, uint8_t format, uint8_t track,
			   uint16_t alloc);
unsigned scsi_cdb_get_event_status(uint8_t *cdb, uint8_t class_mask, uint16_t alloc);
unsigned scsi_cdb_get_configuration(uint8_t *cdb, uint8_t rt, uint16_t feature,
				    uint16_t alloc);
unsigned scsi_cdb_report_luns(uint8_t *cdb, uint8_t select, uint32_t alloc);
unsigned scsi_cdb_pr_in(uint8_t *cdb, uint8_t service_action, uint16_t alloc);
unsigned scsi_cdb_pr_out(uint8_t *cdb, uint8_t service_action, uint8_t scope_type,
			 uint32_t param_len);

/* The CDB length implied by an opcode's group code (SPC-4 §4.2.5.1):
 * 6, 10, 12 or 16; 0 for variable-length or vendor-specific groups. */
unsigned scsi_cdb_length(uint8_t opcode);
/* Opcode name ("READ(10)"), or NULL. */
const char *scsi_opcode_name(uint8_t opcode);

/* --- sense data ---------------------------------------------------------- */
struct scsi_sense {
	bool valid;         /* response code 70h-73h found */
	bool descriptor;    /* 72h/73h format */
	bool deferred;      /* 71h/73h */
	uint8_t key, asc, ascq;
	bool info_valid;
	uint64_t info;      /* INFORMATION field */
	bool filemark, eom, ili;
};
/* Decode fixed (70h/71h) or descriptor (72h/73h) sense (SPC-4 §4.5).
 * Returns 0, or -22 (EINVAL) when `len` holds no recognisable sense. */
int scsi_sense_decode(const uint8_t *buf, size_t len, struct scsi_sense *out);
const char *scsi_sense_key_name(uint8_t key);       /* "UNIT ATTENTION" */
/* English text for ASC/ASCQ, or NULL when unknown. */
const char *scsi_asc_text(uint8_t asc, uint8_t ascq);
/* "UNIT ATTENTION 29/00: power on, reset, or bus device reset occurred" */
int scsi_sense_format(const struct scsi_sense *s, char *buf, size_t cap);
const char *scsi_status_name(uint8_t status);       /* "CHECK CONDITION" */
const char *scsi_type_name(uint8_t type);           /* "disk", "cd/dvd" ... */

/* --- REPORT LUNS data (SPC-4 §6.33) ------------------------------------- */
/* Decode one 8-byte LUN entry: peripheral (method 00b) or flat (01b)
 * single-level addressing.  Returns the LUN 0..16383, or -1 for methods
 * the driver cannot address. */
int scsi_lun_entry_decode(const uint8_t entry[8]);
/*
 * Parse a REPORT LUNS answer of `got` bytes.  Fills up to `max` LUNs in
 * `luns`; *listed receives how many entries the header announces (may be
 * more than fit in the buffer: then ask again with a larger one).
 * Returns the number of LUNs stored, or -22 when the data is malformed.
 * Entries the driver cannot address are skipped.
 */
int scsi_report_luns_parse(const uint8_t *buf, size_t got, uint16_t *luns, unsigned max,
			   uint32_t *listed);

#endif
