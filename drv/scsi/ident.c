/*
 * ident.c - the persistent identifiers Linux's udev gives a SCSI disk or
 * CD, so that the embedding OS can offer the same /dev/disk/by-id names a
 * Linux guest of the same machine has (systemd's 60-persistent-storage
 * rules: "scsi-" ID_SERIAL and "wwn-" ID_WWN_WITH_EXTENSION, both from its
 * scsi_id helper).  Pure: computed from what the scan kept of the VPD
 * pages (SPC-4 §7.8), no command is sent.
 *
 * How scsi_id chooses, in our words:
 *  - Only when the device lists VPD 83h (device identification) in VPD
 *    00h, its designation descriptors (SPC-4 §7.8.6) are searched, best
 *    kind first: NAA (type 3) with NAA field 6 (IEEE registered extended),
 *    then 5 (IEEE registered), then any NAA; then EUI-64 (type 2); then
 *    T10 vendor ID (type 1); then vendor specific (type 0).  For each kind
 *    a binary descriptor beats an ASCII one, and among equals the first in
 *    the page wins.  Only descriptors of the logical unit (association 0)
 *    count, and only code sets binary (1) and ASCII (2): a SCSI name string
 *    (type 8, UTF-8) never names a device.
 *  - ID_SERIAL is the designator type as one hex digit, then (for vendor
 *    specific designators only, which are not unique across products) the
 *    8-byte vendor and 16-byte product fields of INQUIRY, then the
 *    identifier: binary ones as lowercase hex, ASCII ones as they are.
 *  - Without a usable designator, a VPD 80h serial number (when VPD 00h
 *    lists the page) gives "S", vendor, product and the serial.
 *  - Finally every run of white space becomes one '_' (leading and
 *    trailing ones are dropped), and every character that is not a letter,
 *    a digit, one of "#+-.:=@_", a "\x" escape or part of a valid UTF-8
 *    sequence becomes '_'.
 *  - For an NAA identifier, ID_WWN is "0x" and its first 16 hex digits,
 *    and ID_WWN_WITH_EXTENSION adds the next 16 (the vendor extension of
 *    a 16-byte NAA 6 name).
 *
 * Known differences: the scan keeps INQUIRY's vendor and product without
 * their leading blanks and with unprintable bytes shown as '?', the serial
 * likewise, and designators only up to 64 bytes and 4 per device; scsi_id's
 * workaround for pre-SPC-3 VPD 83h pages (a non-zero byte 6) is not
 * copied.  None of these occurs with QEMU's or tgt's devices.
 */
#include "scsi/internal.h"

/* The order scsi_id searches designators in: type, NAA field (-1: any),
 * code set. */
static const struct {
	uint8_t type;
	int8_t naa;
	uint8_t code_set;
} search_order[] = {
	{ 3, 6, 1 }, { 3, 6, 2 }, { 3, 5, 1 }, { 3, 5, 2 }, { 3, -1, 1 }, { 3, -1, 2 },
	{ 2, -1, 1 }, { 2, -1, 2 }, { 1, -1, 1 }, { 1, -1, 2 }, { 0, -1, 1 }, { 0, -1, 2 },
};

/* An output string with a bound. */
struct text {
	char *s;
	size_t cap, len;
};

static void put_char(struct text *t, char c)
{
	if (t->len + 1 < t->cap)
		t->s[t->len++] = c;
	t->s[t->len < t->cap ? t->len : t->cap - 1] = 0;
}

static void put_str(struct text *t, const char *s)
{
	while (*s)
		put_char(t, *s++);
}

/* A field of INQUIRY data as it was sent: blank-padded to `width`. */
static void put_field(struct text *t, const char *s, size_t width)
{
	size_t n = 0;
	for (; s[n] && n < width; n++)
		put_char(t, s[n]);
	for (; n < width; n++)
		put_char(t, ' ');
}

static void put_hex(struct text *t, const uint8_t *b, unsigned n)
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		put_char(t, hex[b[i] >> 4]);
		put_char(t, hex[b[i] & 15]);
	}
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Runs of white space become one '_'; leading and trailing ones go. */
static void squeeze_spaces(char *s)
{
	size_t i = 0, j = 0;
	bool pending = false;
	while (is_space(s[i]))
		i++;
	for (; s[i]; i++) {
		if (is_space(s[i])) {
			pending = true;
			continue;
		}
		if (pending)
			s[j++] = '_';
		pending = false;
		s[j++] = s[i];
	}
	s[j] = 0;
}

/* Bytes of the valid UTF-8 sequence at `s` that encodes a character above
 * U+007F, or 0. */
static unsigned utf8_sequence(const unsigned char *s)
{
	unsigned n;
	uint32_t v;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		v = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		v = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		v = v << 6 | (s[i] & 0x3f);
	}
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < least[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return n;
}

/* What udev lets into a device link name; the rest becomes '_'. */
static void replace_unsafe(char *s)
{
	for (size_t i = 0; s[i];) {
		char c = s[i];
		bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z') || c == '#' || c == '+' || c == '-' ||
			     c == '.' || c == ':' || c == '=' || c == '@' || c == '_';
		if (plain) {
			i++;
		} else if (c == '\\' && s[i + 1] == 'x') {
			i += 2; /* an escape written by udev's own encoding */
		} else {
			unsigned n = utf8_sequence((const unsigned char *)s + i);
			if (n) {
				i += n;
			} else {
				s[i] = '_';
				i++;
			}
		}
	}
}

static bool lists_page(const struct vscsi_lun_info *info, uint8_t page)
{
	for (unsigned i = 0; i < info->n_vpd_pages; i++)
		if (info->vpd_pages[i] == page)
			return true;
	return false;
}

/* The designator scsi_id would pick, or NULL. */
static const struct vscsi_designator *pick(const struct vscsi_lun_info *info)
{
	unsigned n = info->n_desig < VSCSI_MAX_DESIGNATORS ? info->n_desig : VSCSI_MAX_DESIGNATORS;
	for (size_t k = 0; k < VS_ARRAY_SIZE(search_order); k++) {
		for (unsigned i = 0; i < n; i++) {
			const struct vscsi_designator *d = &info->desig[i];
			if (d->association != 0 || d->type != search_order[k].type ||
			    d->code_set != search_order[k].code_set)
				continue;
			if (search_order[k].naa >= 0 &&
			    (!d->len || d->id[0] >> 4 != (unsigned)search_order[k].naa))
				continue;
			return d;
		}
	}
	return NULL;
}

void vscsi_lun_udev_ids(const struct vscsi_lun_info *info, char *serial, size_t serial_cap,
			char *wwn, size_t wwn_cap)
{
	char buf[VSCSI_UDEV_ID_MAX];
	struct text t = { buf, sizeof(buf), 0 };
	buf[0] = 0;
	if (serial && serial_cap)
		serial[0] = 0;
	if (wwn && wwn_cap)
		wwn[0] = 0;
	if (!info)
		return;

	const struct vscsi_designator *d =
		lists_page(info, SCSI_VPD_DEVICE_ID) ? pick(info) : NULL;
	if (d) {
		unsigned len = d->len <= sizeof(d->id) ? d->len : sizeof(d->id);
		put_char(&t, (char)("0123456789abcdef"[d->type & 15]));
		if (d->type == 0) {
			put_field(&t, info->vendor, 8);
			put_field(&t, info->model, 16);
		}
		size_t id_start = t.len;
		if (d->code_set == 1) {
			put_hex(&t, d->id, len);
		} else {
			for (unsigned i = 0; i < len && d->id[i]; i++)
				put_char(&t, (char)d->id[i]);
		}
		if (d->type == 3 && wwn && wwn_cap) {
			/* "0x", 16 digits, then up to 16 more (the extension).
			 * An ASCII NAA designator could hold anything: it is made
			 * as safe for a name as ID_SERIAL is. */
			struct text w = { wwn, wwn_cap, 0 };
			put_str(&w, "0x");
			for (size_t i = id_start; i < t.len && i < id_start + 32; i++)
				put_char(&w, buf[i]);
			squeeze_spaces(wwn);
			replace_unsafe(wwn);
		}
	} else if (lists_page(info, SCSI_VPD_UNIT_SERIAL)) {
		put_char(&t, 'S');
		put_field(&t, info->vendor, 8);
		put_field(&t, info->model, 16);
		put_str(&t, info->serial);
	}
	squeeze_spaces(buf);
	replace_unsafe(buf);
	if (serial && serial_cap)
		vs_strlcpy(serial, buf, serial_cap);
}
