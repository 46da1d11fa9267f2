/*
 * parse.c - every parser of data a SCSI device returns, in one file, so
 * that one fuzz target (tests/fuzz/fuzz_scsi_data.c) covers them all.
 * Pure functions: bytes and the length actually received in, fields out.
 *
 *   vs_parse_inquiry_present, vs_parse_inquiry   standard INQUIRY (SPC-4 §6.4.2)
 *   vs_parse_vpd_00, _80, _83                    VPD pages (SPC-4 §7.8)
 *   vs_parse_vpd_b0, _b1, _b2                    block device VPD pages (SBC-3 §6.6)
 *   vs_parse_capacity10, _16                     READ CAPACITY (10) / (16) (SBC-3)
 *   vs_parse_mode                                MODE SENSE (6) / (10) (SPC-4, SBC-3)
 *   vs_parse_media_event                         GET EVENT STATUS NOTIFICATION,
 *                                                media class (MMC-6 §6.6)
 *   scsi_report_luns_parse, scsi_lun_entry_decode  REPORT LUNS (SPC-4 §6.33, SAM-5 §4.7)
 *   scsi_sense_decode                            sense data (SPC-4 §4.5)
 *
 * The device is not trusted: every offset is checked against the length
 * received and against the lengths the data itself announces, whichever
 * is shorter; strings are made printable and always terminated; counts
 * are bounded by the arrays they fill.
 */
#include "scsi/internal.h"

/* Copy a blank-padded ASCII field: leading blanks and NULs dropped (serial
 * numbers are often right-aligned), stops at a NUL, anything unprintable
 * shown as '?', trailing blanks removed, always terminated. */
static void copy_trimmed(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t k = 0;
	while (n && (src[0] == ' ' || src[0] == 0)) {
		src++;
		n--;
	}
	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		uint8_t ch = src[i];
		if (ch == 0)
			break;
		dst[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	while (k && dst[k - 1] == ' ')
		k--;
	dst[k] = 0;
}

/* --- INQUIRY ------------------------------------------------------------------------ */

/* SPC-4 §6.4.2: peripheral qualifier 0 only.  QEMU answers qualifier 1
 * (LUN 0 of a target without one, which REPORT LUNS still lists) or 3. */
int vs_parse_inquiry_present(const uint8_t *d, uint32_t got)
{
	if (got < 5)
		return -VSCSI_EIO;
	return (d[0] >> 5) == 0 ? 0 : -VSCSI_ENXIO;
}

/* SPC-4 §6.4.2: device type, RMB, VERSION, and the T10 vendor, product
 * and revision fields (bytes 8-15, 16-31, 32-35). */
void vs_parse_inquiry(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info)
{
	info->type = got ? d[0] & 0x1f : SCSI_TYPE_NO_LUN;
	info->removable = got > 1 && (d[1] & 0x80);
	info->scsi_version = got > 2 ? d[2] : 0;
	info->vendor[0] = info->model[0] = info->rev[0] = 0;
	if (got >= 16)
		copy_trimmed(info->vendor, sizeof(info->vendor), d + 8, 8);
	if (got >= 32)
		copy_trimmed(info->model, sizeof(info->model), d + 16, 16);
	if (got >= 36)
		copy_trimmed(info->rev, sizeof(info->rev), d + 32, 4);
}

/* --- VPD pages ------------------------------------------------------------------------ */

/* VPD pages carry their length in bytes 2-3 (SPC-4 §7.8.1): the bytes of
 * the page that were received. */
static uint32_t vpd_len(const uint8_t *d, uint32_t got)
{
	if (got < 4)
		return 0;
	uint32_t n = 4u + vs_be16(d + 2);
	return n < got ? n : got;
}

/* 00h: the list of supported pages (its length is byte 3 alone). */
void vs_parse_vpd_00(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info)
{
	info->n_vpd_pages = 0;
	uint32_t end = got >= 4 ? 4u + d[3] : 0;
	if (end > got)
		end = got;
	for (uint32_t i = 4; i < end && info->n_vpd_pages < VS_ARRAY_SIZE(info->vpd_pages); i++)
		info->vpd_pages[info->n_vpd_pages++] = d[i];
}

/* 80h: PRODUCT SERIAL NUMBER, ASCII. */
void vs_parse_vpd_80(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info)
{
	uint32_t end = vpd_len(d, got);
	info->serial[0] = 0;
	if (end > 4)
		copy_trimmed(info->serial, sizeof(info->serial), d + 4, end - 4);
}

static void hex_string(char *out, size_t cap, const uint8_t *b, unsigned n)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	if (cap < 3)
		return;
	out[k++] = '0';
	out[k++] = 'x';
	for (unsigned i = 0; i < n && k + 2 < cap; i++) {
		out[k++] = hex[b[i] >> 4];
		out[k++] = hex[b[i] & 15];
	}
	out[k] = 0;
}

/*
 * 83h: designation descriptors (SPC-4 §7.8.6), each a 4-byte header and
 * its identifier.  The first VSCSI_MAX_DESIGNATORS are kept; the WWN is
 * the LUN's binary NAA designator (type 3), else its EUI-64 (type 2).
 */
void vs_parse_vpd_83(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info)
{
	uint32_t end = vpd_len(d, got);
	info->n_desig = 0;
	info->wwn[0] = 0;
	int best = -1; /* NAA (3) beats EUI-64 (2) for the WWN */
	for (uint32_t off = 4; off + 4 <= end;) {
		const uint8_t *x = d + off;
		uint32_t len = x[3];
		if (off + 4 + len > end)
			break;
		uint8_t code_set = x[0] & 0x0f, type = x[1] & 0x0f, assoc = (x[1] >> 4) & 3;
		if (info->n_desig < VSCSI_MAX_DESIGNATORS) {
			struct vscsi_designator *ds = &info->desig[info->n_desig++];
			ds->code_set = code_set;
			ds->type = type;
			ds->association = assoc;
			ds->len = (uint8_t)(len > sizeof(ds->id) ? sizeof(ds->id) : len);
			vs_memcpy(ds->id, x + 4, ds->len);
		}
		if (assoc == 0 && code_set == 1 && (type == 3 || type == 2) && len >= 8 &&
		    (int)type > best) {
			best = type;
			hex_string(info->wwn, sizeof(info->wwn), x + 4, len > 16 ? 16 : len);
		}
		off += 4 + len;
	}
}

/* B0h block limits: MAXIMUM TRANSFER LENGTH (returned), OPTIMAL TRANSFER
 * LENGTH, the UNMAP limits, UNMAP GRANULARITY ALIGNMENT (valid when
 * UGAVALID, byte 32 bit 7) and MAXIMUM WRITE SAME LENGTH, each only when
 * the page reaches it. */
uint32_t vs_parse_vpd_b0(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info)
{
	uint32_t end = vpd_len(d, got);
	if (end >= 16)
		info->opt_transfer_blocks = vs_be32(d + 12);
	if (end >= 32) {
		info->max_unmap_blocks = vs_be32(d + 20);
		info->max_unmap_descriptors = vs_be32(d + 24);
		info->unmap_granularity = vs_be32(d + 28);
	}
	if (end >= 36) {
		info->unmap_alignment_valid = d[32] & 0x80;
		info->unmap_alignment = vs_be32(d + 32) & 0x7fffffffu;
	}
	if (end >= 44)
		info->max_write_same_blocks = vs_be64(d + 36);
	return end >= 12 ? vs_be32(d + 8) : 0;
}

/* B1h block device characteristics: MEDIUM ROTATION RATE (1: not rotating). */
void vs_parse_vpd_b1(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info)
{
	if (vpd_len(d, got) >= 6)
		info->rotation_rate = vs_be16(d + 4);
}

/* B2h logical block provisioning: LBPU (UNMAP), LBPWS (WRITE SAME(16)
 * with UNMAP), LBPRZ. */
void vs_parse_vpd_b2(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info)
{
	uint32_t end = vpd_len(d, got);
	if (end >= 6) {
		info->unmap_supported = d[5] & 0x80;
		info->ws16_unmap = d[5] & 0x40;
		if (d[5] & 0x04)
			info->lbprz = true;
	}
}

/* --- READ CAPACITY ------------------------------------------------------------------ */

/* RETURNED LOGICAL BLOCK ADDRESS (bytes 0-3), LOGICAL BLOCK LENGTH IN
 * BYTES (4-7).  A device with 2^32 blocks or more returns FFFFFFFFh, so
 * *blocks becomes 2^32: only (16) can say more. */
bool vs_parse_capacity10(const uint8_t *d, uint32_t got, uint64_t *blocks,
			 uint32_t *block_size)
{
	if (got < 8)
		return false;
	*blocks = (uint64_t)vs_be32(d) + 1;
	*block_size = vs_be32(d + 4);
	return true;
}

/* RETURNED LOGICAL BLOCK ADDRESS (bytes 0-7), LOGICAL BLOCK LENGTH (8-11);
 * from byte 14 on, LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT, LBPME and
 * LBPRZ. */
bool vs_parse_capacity16(const uint8_t *d, uint32_t got, struct vscsi_lun_info *info)
{
	if (got < 12)
		return false;
	info->blocks = vs_be64(d) + 1;
	info->block_size = vs_be32(d + 8);
	if (got >= 15) {
		unsigned exp = d[13] & 0x0f;
		info->phys_block_size = info->block_size << exp;
		info->lbpme = d[14] & 0x80;
		info->lbprz = d[14] & 0x40;
	}
	return true;
}

/* --- MODE SENSE -------------------------------------------------------------------- */

/* The mode parameter header ((6): 4 bytes, (10): 8): MODE DATA LENGTH, the
 * device-specific parameter (WP, DPOFUA for a block device) and the block
 * descriptor length; then the pages, of which the caching page (08h)
 * gives WCE.  Sub-page format pages are stepped over. */
void vs_parse_mode(const uint8_t *d, uint32_t got, bool ten, struct vscsi_lun_info *info)
{
	uint32_t hdr = ten ? 8 : 4;
	if (got < hdr)
		return;
	uint32_t total = ten ? 2u + vs_be16(d) : 1u + d[0];
	if (total > got)
		total = got;
	uint8_t dsp = ten ? d[3] : d[2];
	uint32_t bdl = ten ? vs_be16(d + 6) : d[3];
	info->read_only = dsp & 0x80;
	info->dpofua = dsp & 0x10;
	for (uint32_t off = hdr + bdl; off + 2 <= total;) {
		uint8_t code = d[off] & 0x3f;
		bool spf = d[off] & 0x40;
		uint32_t plen = spf ? (off + 4 <= total ? 4u + vs_be16(d + off + 2) : total)
				    : 2u + d[off + 1];
		if (code == SCSI_MODE_PAGE_CACHING && !spf && off + 3 <= total)
			info->write_cache = d[off + 2] & 0x04;
		off += plen;
	}
}

/* --- GET EVENT STATUS NOTIFICATION ---------------------------------------------- */

/*
 * MMC-6 §6.6: a 4-byte event status header (EVENT DESCRIPTOR LENGTH, the
 * bytes after the length field itself; NEA "no event available" and the
 * NOTIFICATION CLASS of what follows in byte 2), then for the media class
 * (class 4) one 4-byte descriptor: MEDIA EVENT CODE in byte 0, MEDIA
 * STATUS in byte 1 (bit 0 door or tray open, bit 1 media present).
 */
int vs_parse_media_event(const uint8_t *d, uint32_t got, struct vs_media_event *ev)
{
	ev->event = 0;
	ev->tray_open = false;
	ev->present = false;
	if (got < 4)
		return -VSCSI_EIO;
	uint32_t end = 2u + vs_be16(d);
	if (end > got)
		end = got;
	if (d[2] & 0x80)
		return -VSCSI_ENOENT; /* NEA: no event of the class asked for */
	if ((d[2] & 0x07) != 4 || end < 8)
		return -VSCSI_EIO;    /* not the media class, or no descriptor */
	ev->event = d[4] & 0x0f;
	ev->tray_open = d[5] & 0x01;
	ev->present = d[5] & 0x02;
	return 0;
}

/* --- REPORT LUNS ------------------------------------------------------------------ */

/* The first level of a LUN structure (SAM-5 §4.7.7): method 00b peripheral
 * (bus 0 only), 01b flat space; the LUN is the low 14 bits. */
static int lun_level_decode(uint8_t b0, uint8_t b1)
{
	switch (b0 >> 6) {
	case 0:
		return (b0 & 0x3f) ? -1 : b1;
	case 1:
		return ((b0 & 0x3f) << 8) | b1;
	default:
		return -1;
	}
}

int scsi_lun_entry_decode(const uint8_t e[8])
{
	/* Second and later levels must be empty: the driver addresses one level. */
	for (int i = 2; i < 8; i++)
		if (e[i])
			return -1;
	return lun_level_decode(e[0], e[1]);
}

/* SPC-4 §6.33: LUN LIST LENGTH, 4 reserved bytes, then 8-byte entries.
 * Entries past the list, partial ones, duplicates and ones the driver
 * cannot address are skipped. */
int scsi_report_luns_parse(const uint8_t *buf, size_t got, uint16_t *luns, unsigned max,
			   uint32_t *listed)
{
	if (!buf || got < 8) {
		if (listed)
			*listed = 0;
		return -VSCSI_EINVAL;
	}
	uint32_t list_len = vs_be32(buf);
	if (listed)
		*listed = list_len / 8;
	size_t avail = got - 8;
	if (avail > list_len)
		avail = list_len; /* bytes past the list are not entries */
	unsigned n = 0;
	for (size_t off = 0; off + 8 <= avail; off += 8) {
		int l = scsi_lun_entry_decode(buf + 8 + off);
		if (l < 0)
			continue;
		bool dup = false;
		for (unsigned i = 0; i < n && !dup; i++)
			dup = luns[i] == l;
		if (dup)
			continue;
		if (n < max)
			luns[n++] = (uint16_t)l;
	}
	return (int)n;
}

/* --- sense data ------------------------------------------------------------------- */

/* SPC-4 §4.5: response code 70h/71h fixed format (SPC-4 §4.5.3), 72h/73h
 * descriptor format (SPC-4 §4.5.2); the second of each pair is deferred. */
int scsi_sense_decode(const uint8_t *b, size_t len, struct scsi_sense *s)
{
	vs_memset(s, 0, sizeof(*s));
	if (!b || len < 1)
		return -VSCSI_EINVAL;
	uint8_t code = b[0] & 0x7f;
	if (code == 0x70 || code == 0x71) {
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
