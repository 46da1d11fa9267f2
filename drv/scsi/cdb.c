/*
 * cdb.c - building command descriptor blocks: the commands of SPC-4
 * (INQUIRY, REQUEST SENSE, MODE SENSE, REPORT LUNS, PERSISTENT RESERVE
 * IN/OUT ...), SBC-3 (READ/WRITE (10)/(16), READ CAPACITY, SYNCHRONIZE
 * CACHE, UNMAP, WRITE SAME, START STOP UNIT ...) and MMC-6 (READ TOC, GET
 * CONFIGURATION, GET EVENT STATUS NOTIFICATION).  Each builder clears the
 * CDB, fills it and returns its length.  Fields are big-endian (SPC-4
 * §3.5); the CDB length follows from the opcode's group code (SPC-4
 * §4.2.5.1, scsi_cdb_length).
 */
#include "scsi/internal.h"

static unsigned cdb_start(uint8_t *cdb, uint8_t opcode, unsigned len)
{
	vs_memset(cdb, 0, len);
	cdb[0] = opcode;
	return len;
}

unsigned scsi_cdb_test_unit_ready(uint8_t *cdb)
{
	return cdb_start(cdb, SCSI_TEST_UNIT_READY, 6);
}

unsigned scsi_cdb_inquiry(uint8_t *cdb, bool evpd, uint8_t page, uint16_t alloc)
{
	cdb_start(cdb, SCSI_INQUIRY, 6);
	cdb[1] = evpd ? 1 : 0;
	cdb[2] = evpd ? page : 0; /* PAGE CODE must be 0 without EVPD */
	vs_put_be16(cdb + 3, alloc);
	return 6;
}

unsigned scsi_cdb_request_sense(uint8_t *cdb, bool descriptor, uint8_t alloc)
{
	cdb_start(cdb, SCSI_REQUEST_SENSE, 6);
	cdb[1] = descriptor ? 1 : 0;
	cdb[4] = alloc;
	return 6;
}

unsigned scsi_cdb_read_capacity10(uint8_t *cdb)
{
	return cdb_start(cdb, SCSI_READ_CAPACITY_10, 10);
}

unsigned scsi_cdb_read_capacity16(uint8_t *cdb, uint32_t alloc)
{
	cdb_start(cdb, SCSI_SERVICE_ACTION_IN_16, 16);
	cdb[1] = SCSI_SAI_READ_CAPACITY_16;
	vs_put_be32(cdb + 10, alloc);
	return 16;
}

static unsigned cdb_rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t blocks, bool fua)
{
	cdb_start(cdb, op, 10);
	cdb[1] = fua ? 0x08 : 0;
	vs_put_be32(cdb + 2, lba);
	vs_put_be16(cdb + 7, blocks);
	return 10;
}

static unsigned cdb_rw16(uint8_t *cdb, uint8_t op, uint64_t lba, uint32_t blocks, bool fua)
{
	cdb_start(cdb, op, 16);
	cdb[1] = fua ? 0x08 : 0;
	vs_put_be64(cdb + 2, lba);
	vs_put_be32(cdb + 10, blocks);
	return 16;
}

unsigned scsi_cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t blocks, bool fua)
{
	return cdb_rw10(cdb, SCSI_READ_10, lba, blocks, fua);
}

unsigned scsi_cdb_write10(uint8_t *cdb, uint32_t lba, uint16_t blocks, bool fua)
{
	return cdb_rw10(cdb, SCSI_WRITE_10, lba, blocks, fua);
}

unsigned scsi_cdb_read16(uint8_t *cdb, uint64_t lba, uint32_t blocks, bool fua)
{
	return cdb_rw16(cdb, SCSI_READ_16, lba, blocks, fua);
}

unsigned scsi_cdb_write16(uint8_t *cdb, uint64_t lba, uint32_t blocks, bool fua)
{
	return cdb_rw16(cdb, SCSI_WRITE_16, lba, blocks, fua);
}

/* (10) carries a 32-bit LBA and 1..65535 blocks.  Like Linux's sd, (16)
 * is used as soon as the range reaches LBA 0xffffffff, so a device that
 * mishandles the top of the 32-bit space never sees (10) there. */
bool scsi_rw_needs_16(uint64_t lba, uint32_t blocks)
{
	return blocks > 0xffff || lba + blocks > 0xffffffffull;
}

unsigned scsi_cdb_rw(uint8_t *cdb, bool write, uint64_t lba, uint32_t blocks, bool fua)
{
	if (!blocks)
		return 0;
	if (scsi_rw_needs_16(lba, blocks))
		return cdb_rw16(cdb, write ? SCSI_WRITE_16 : SCSI_READ_16, lba, blocks, fua);
	return cdb_rw10(cdb, write ? SCSI_WRITE_10 : SCSI_READ_10, (uint32_t)lba,
			(uint16_t)blocks, fua);
}

unsigned scsi_cdb_sync_cache10(uint8_t *cdb, uint32_t lba, uint16_t blocks)
{
	cdb_start(cdb, SCSI_SYNCHRONIZE_CACHE_10, 10);
	vs_put_be32(cdb + 2, lba);
	vs_put_be16(cdb + 7, blocks);
	return 10;
}

unsigned scsi_cdb_sync_cache16(uint8_t *cdb, uint64_t lba, uint32_t blocks)
{
	cdb_start(cdb, SCSI_SYNCHRONIZE_CACHE_16, 16);
	vs_put_be64(cdb + 2, lba);
	vs_put_be32(cdb + 10, blocks);
	return 16;
}

unsigned scsi_cdb_unmap(uint8_t *cdb, uint16_t param_len)
{
	cdb_start(cdb, SCSI_UNMAP, 10);
	vs_put_be16(cdb + 7, param_len);
	return 10;
}

size_t scsi_unmap_params(uint8_t *buf, size_t cap, const struct scsi_unmap_range *r, unsigned n)
{
	size_t len = 8 + (size_t)16 * n;
	if (cap < len || len > 0xffff)
		return 0;
	vs_memset(buf, 0, len);
	vs_put_be16(buf, (uint16_t)(len - 2));     /* UNMAP DATA LENGTH */
	vs_put_be16(buf + 2, (uint16_t)(16 * n));  /* BLOCK DESCRIPTOR DATA LENGTH */
	for (unsigned i = 0; i < n; i++) {
		vs_put_be64(buf + 8 + 16 * i, r[i].lba);
		vs_put_be32(buf + 8 + 16 * i + 8, r[i].blocks);
	}
	return len;
}

unsigned scsi_cdb_write_same16(uint8_t *cdb, uint64_t lba, uint32_t blocks, bool unmap)
{
	cdb_start(cdb, SCSI_WRITE_SAME_16, 16);
	cdb[1] = unmap ? 0x08 : 0;
	vs_put_be64(cdb + 2, lba);
	vs_put_be32(cdb + 10, blocks);
	return 16;
}

unsigned scsi_cdb_mode_sense6(uint8_t *cdb, bool dbd, uint8_t pc, uint8_t page, uint8_t subpage,
			      uint8_t alloc)
{
	cdb_start(cdb, SCSI_MODE_SENSE_6, 6);
	cdb[1] = dbd ? 0x08 : 0;
	cdb[2] = (uint8_t)((pc & 3) << 6 | (page & 0x3f));
	cdb[3] = subpage;
	cdb[4] = alloc;
	return 6;
}

unsigned scsi_cdb_mode_sense10(uint8_t *cdb, bool dbd, uint8_t pc, uint8_t page,
			       uint8_t subpage, uint16_t alloc)
{
	cdb_start(cdb, SCSI_MODE_SENSE_10, 10);
	cdb[1] = dbd ? 0x08 : 0;
	cdb[2] = (uint8_t)((pc & 3) << 6 | (page & 0x3f));
	cdb[3] = subpage;
	vs_put_be16(cdb + 7, alloc);
	return 10;
}

unsigned scsi_cdb_start_stop_unit(uint8_t *cdb, bool immed, bool loej, bool start)
{
	cdb_start(cdb, SCSI_START_STOP_UNIT, 6);
	cdb[1] = immed ? 1 : 0;
	cdb[4] = (uint8_t)((loej ? 2 : 0) | (start ? 1 : 0));
	return 6;
}

unsigned scsi_cdb_prevent_allow(uint8_t *cdb, bool prevent)
{
	cdb_start(cdb, SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 6);
	cdb[4] = prevent ? 1 : 0;
	return 6;
}

unsigned scsi_cdb_read_toc(uint8_t *cdb, bool msf, uint8_t format, uint8_t track, uint16_t alloc)
{
	cdb_start(cdb, SCSI_READ_TOC, 10);
	cdb[1] = msf ? 0x02 : 0;
	cdb[2] = format & 0x0f;
	cdb[6] = track;
	vs_put_be16(cdb + 7, alloc);
	return 10;
}

unsigned scsi_cdb_get_event_status(uint8_t *cdb, uint8_t class_mask, uint16_t alloc)
{
	cdb_start(cdb, SCSI_GET_EVENT_STATUS_NOTIFICATION, 10);
	cdb[1] = 1; /* POLLED: the only mode a virtio device supports */
	cdb[4] = class_mask;
	vs_put_be16(cdb + 7, alloc);
	return 10;
}

unsigned scsi_cdb_get_configuration(uint8_t *cdb, uint8_t rt, uint16_t feature, uint16_t alloc)
{
	cdb_start(cdb, SCSI_GET_CONFIGURATION, 10);
	cdb[1] = rt & 3;
	vs_put_be16(cdb + 2, feature);
	vs_put_be16(cdb + 7, alloc);
	return 10;
}

unsigned scsi_cdb_report_luns(uint8_t *cdb, uint8_t select, uint32_t alloc)
{
	cdb_start(cdb, SCSI_REPORT_LUNS, 12);
	cdb[2] = select;
	vs_put_be32(cdb + 6, alloc);
	return 12;
}

unsigned scsi_cdb_pr_in(uint8_t *cdb, uint8_t service_action, uint16_t alloc)
{
	cdb_start(cdb, SCSI_PERSISTENT_RESERVE_IN, 10);
	cdb[1] = service_action & 0x1f;
	vs_put_be16(cdb + 7, alloc);
	return 10;
}

unsigned scsi_cdb_pr_out(uint8_t *cdb, uint8_t service_action, uint8_t scope_type,
			 uint32_t param_len)
{
	cdb_start(cdb, SCSI_PERSISTENT_RESERVE_OUT, 10);
	cdb[1] = service_action & 0x1f;
	cdb[2] = scope_type;
	vs_put_be32(cdb + 5, param_len);
	return 10;
}

unsigned scsi_cdb_length(uint8_t opcode)
{
	switch (opcode >> 5) {
	case 0: return 6;
	case 1:
	case 2: return 10;
	case 4: return 16;
	case 5: return 12;
	default: return 0; /* 3: reserved / variable length (7Fh); 6, 7: vendor */
	}
}
