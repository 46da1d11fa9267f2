/*
 * cmd_sg.c - SCSI pass-through tools in the style of sg3_utils: sg_raw,
 * sg_inq, sg_readcap, sg_persist, and sg_policy (the per-device SG_IO
 * command filter).
 *
 * Each is an ordinary program: open("/dev/sdX"), ioctl(fd, SG_IO, &hdr)
 * with a Linux-layout sg_io_hdr, then the output and exit status of the
 * sg3_utils namesake: 0 good, 2 not ready, 3 medium/hardware error,
 * 5 illegal request, 6 unit attention, 7 data protect, 9 invalid opcode,
 * 11 aborted command, 24 reservation conflict, 33 timeout, 99 other,
 * 1 syntax error, 15 file error, 50 + errno when the pass-through itself
 * failed (51 = EPERM: refused by the command filter).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/blkdev.h"
#include "fs/devfs.h"
#include "kernel/byteorder.h"
#include "shell/args.h"
#include "shell/buffer.h"
#include "shell/commands.h"
#include "vscsi/blk.h"
#include "vscsi/scsi.h"
#include "vscsi/sg_io.h"
#include "vscsi/vscsi.h"

#undef errno
extern int errno;

/* sg3_utils exit statuses (sg_lib.h SG_LIB_*). */
enum {
	CAT_CLEAN = 0,
	CAT_SYNTAX = 1,
	CAT_NOT_READY = 2,
	CAT_MEDIUM_HARD = 3,
	CAT_ILLEGAL_REQ = 5,
	CAT_UNIT_ATTENTION = 6,
	CAT_DATA_PROTECT = 7,
	CAT_INVALID_OP = 9,
	CAT_ABORTED = 11,
	CAT_MISCOMPARE = 14,
	CAT_FILE_ERROR = 15,
	CAT_NO_SENSE = 20,
	CAT_RECOVERED = 21,
	CAT_RES_CONFLICT = 24,
	CAT_CONDITION_MET = 25,
	CAT_BUSY = 26,
	CAT_TS_FULL = 27,
	CAT_TIMEOUT = 33,
	CAT_OS_BASE = 50,
	CAT_OTHER = 99,
};

#define SENSE_MAX 64
#define DEFAULT_TIMEOUT_MS 60000

/* ---- shared helpers --------------------------------------------------------- */

/*
 * A number as sg3_utils reads one: decimal, hex with a 0x prefix or an h
 * suffix, and for decimal numbers the multipliers k/K (1024), m/M, g/G,
 * kb/KB (1000), mb/MB, gb/GB (the two-letter ones first: the first suffix
 * the rest starts with is taken, and it must end the word).
 */
static const struct number_suffix sg_suffixes[] = {
	{ "kb", 1000 }, { "KB", 1000 }, { "mb", 1000000 }, { "MB", 1000000 },
	{ "gb", 1000000000 }, { "GB", 1000000000 },
	{ "k", 1ull << 10 }, { "K", 1ull << 10 }, { "m", 1ull << 20 }, { "M", 1ull << 20 },
	{ "g", 1ull << 30 }, { "G", 1ull << 30 },
};

static const struct number_syntax sg_number_syntax = {
	.hex_0x = true,
	.hex_h = true,
	.suffixes = sg_suffixes,
	.n_suffixes = sizeof sg_suffixes / sizeof sg_suffixes[0],
};

/* Opcodes, service actions and reservation keys: hexadecimal, with or
 * without 0x, as in every SCSI table. */
static const struct number_syntax sg_hex_syntax = {
	.hex = true,
	.hex_0x = true,
};

/*
 * Hex bytes: "28", "0a0b0c", "0a,0b,0c" or "0a 0b 0c" (pairs of digits; a
 * lone digit is one byte).  Appends to out; returns false on bad input
 * (with the offending text in *bad).
 */
static bool parse_hex_bytes(const char *s, uint8_t *out, size_t cap, size_t *n,
			    const char **bad)
{
	while (*s) {
		while (*s == ' ' || *s == ',' || *s == '\t')
			s++;
		if (!*s)
			break;
		const char *tok = s;
		size_t len = strcspn(s, " ,\t");
		if (len >= 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X') && len > 2)
			tok += 2, len -= 2;
		for (size_t i = 0; i < len; i++)
			if (digit_value(tok[i]) >= 16) {
				*bad = s;
				return false;
			}
		/* "a" is one byte; "abc" (odd, longer) is ambiguous: refuse it */
		if (len > 2 && len % 2) {
			*bad = s;
			return false;
		}
		for (size_t i = 0; i < len; i += len == 1 ? 1 : 2) {
			if (*n >= cap) {
				*bad = s;
				return false;
			}
			int v = len == 1 ? digit_value(tok[0])
					 : digit_value(tok[i]) * 16 + digit_value(tok[i + 1]);
			out[(*n)++] = (uint8_t)v;
		}
		s = tok + len;
	}
	return true;
}

/* sg3_utils' hex dump of data: " 00     xx xx ... xx  xx ... xx    ascii" */
static void sg_hexdump(const uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len; off += 16) {
		char line[100];
		memset(line, ' ', sizeof line);
		int o = snprintf(line, sizeof line, " %02lx", (unsigned long)off);
		line[o] = ' ';
		size_t n = len - off < 16 ? len - off : 16;
		int pos = 8;
		for (size_t i = 0; i < n; i++) {
			if (i == 8)
				pos++;
			char h[3];
			snprintf(h, sizeof h, "%02x", p[off + i]);
			line[pos] = h[0];
			line[pos + 1] = h[1];
			pos += 3;
			uint8_t c = p[off + i];
			line[60 + i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
		}
		line[60 + n] = 0;
		printf("%s\n", line);
	}
}

static const char *sense_key_text(uint8_t key)
{
	static const char *const names[16] = {
		"No Sense", "Recovered Error", "Not Ready", "Medium Error", "Hardware Error",
		"Illegal Request", "Unit Attention", "Data Protect", "Blank Check",
		"Vendor specific", "Copy Aborted", "Aborted Command", "Equal",
		"Volume Overflow", "Miscompare", "Completed",
	};
	return names[key & 0xf];
}

/* Additional sense text, first letter in capitals as sg3_utils prints it. */
static void asc_text(uint8_t asc, uint8_t ascq, char *out, size_t n)
{
	/* Persistent-reservation codes the driver's table may word generally. */
	static const struct {
		uint8_t asc, ascq;
		const char *text;
	} pr_codes[] = {
		{ 0x2a, 0x03, "Reservations preempted" },
		{ 0x2a, 0x04, "Reservations released" },
		{ 0x2a, 0x05, "Registrations preempted" },
		{ 0x24, 0x00, "Invalid field in cdb" },
		{ 0x26, 0x00, "Invalid field in parameter list" },
	};
	for (size_t i = 0; i < sizeof pr_codes / sizeof pr_codes[0]; i++)
		if (pr_codes[i].asc == asc && pr_codes[i].ascq == ascq) {
			snprintf(out, n, "%s", pr_codes[i].text);
			return;
		}
	const char *t = scsi_asc_text(asc, ascq);
	if (!t) {
		snprintf(out, n, "ASC=0x%x ASCQ=0x%x", asc, ascq);
		return;
	}
	snprintf(out, n, "%s", t);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

/* sg_print_sense-style decoding of sense data. */
static void print_sense(const uint8_t *sense, size_t len)
{
	struct scsi_sense s;
	if (!len)
		return;
	if (scsi_sense_decode(sense, len, &s) < 0 || !s.valid) {
		printf("Probably uninitialized sense buffer:\n");
		sg_hexdump(sense, len);
		return;
	}
	char text[96];
	asc_text(s.asc, s.ascq, text, sizeof text);
	printf("%s format, %s; Sense key: %s\n", s.descriptor ? "Descriptor" : "Fixed",
	       s.deferred ? "<<<deferred>>>" : "current", sense_key_text(s.key));
	printf("Additional sense: %s\n", text);
	if (s.info_valid)
		printf("  Info fld=0x%llx [%llu]\n", (unsigned long long)s.info,
		       (unsigned long long)s.info);
}

static const char *status_text(uint8_t st)
{
	switch (st) {
	case SCSI_STATUS_GOOD: return "Good";
	case SCSI_STATUS_CHECK_CONDITION: return "Check Condition";
	case SCSI_STATUS_CONDITION_MET: return "Condition Met";
	case SCSI_STATUS_BUSY: return "Busy";
	case SCSI_STATUS_INTERMEDIATE: return "Intermediate";
	case SCSI_STATUS_INTERMEDIATE_CONDITION_MET: return "Intermediate-Condition Met";
	case SCSI_STATUS_RESERVATION_CONFLICT: return "Reservation Conflict";
	case SCSI_STATUS_COMMAND_TERMINATED: return "Command Terminated (obsolete)";
	case SCSI_STATUS_TASK_SET_FULL: return "Task set Full";
	case SCSI_STATUS_ACA_ACTIVE: return "ACA Active";
	case SCSI_STATUS_TASK_ABORTED: return "Task Aborted";
	default: return "Unknown status";
	}
}

static const char *host_status_text(unsigned hs)
{
	switch (hs) {
	case VSCSI_DID_OK: return "DID_OK";
	case VSCSI_DID_NO_CONNECT: return "DID_NO_CONNECT";
	case VSCSI_DID_BUS_BUSY: return "DID_BUS_BUSY";
	case VSCSI_DID_TIME_OUT: return "DID_TIME_OUT";
	case VSCSI_DID_BAD_TARGET: return "DID_BAD_TARGET";
	case VSCSI_DID_ABORT: return "DID_ABORT";
	case VSCSI_DID_ERROR: return "DID_ERROR";
	case VSCSI_DID_RESET: return "DID_RESET";
	case VSCSI_DID_TRANSPORT_DISRUPTED: return "DID_TRANSPORT_DISRUPTED";
	case VSCSI_DID_TARGET_FAILURE: return "DID_TARGET_FAILURE";
	case VSCSI_DID_NEXUS_FAILURE: return "DID_NEXUS_FAILURE";
	default: return "DID_?";
	}
}

static const char *category_text(int cat)
{
	switch (cat) {
	case CAT_CLEAN: return "no errors";
	case CAT_NOT_READY: return "Not ready";
	case CAT_MEDIUM_HARD: return "Medium or hardware error";
	case CAT_ILLEGAL_REQ: return "Illegal request";
	case CAT_UNIT_ATTENTION: return "Unit attention";
	case CAT_DATA_PROTECT: return "Data protect";
	case CAT_INVALID_OP: return "Illegal request, invalid opcode";
	case CAT_ABORTED: return "Aborted command";
	case CAT_MISCOMPARE: return "Miscompare";
	case CAT_NO_SENSE: return "No sense";
	case CAT_RECOVERED: return "Recovered error";
	case CAT_RES_CONFLICT: return "Reservation conflict";
	case CAT_CONDITION_MET: return "Condition met";
	case CAT_BUSY: return "Busy";
	case CAT_TS_FULL: return "Task set full";
	case CAT_TIMEOUT: return "Timeout";
	default: return "Some other error/warning";
	}
}

/* What a completed SG_IO amounted to, as an sg3_utils category. */
static int sg_category(const struct sg_io_hdr *h)
{
	if (h->driver_status == VSCSI_DRIVER_TIMEOUT || h->host_status == VSCSI_DID_TIME_OUT)
		return CAT_TIMEOUT;
	if (h->host_status != VSCSI_DID_OK)
		return CAT_OTHER;
	switch (h->status) {
	case SCSI_STATUS_GOOD:
		return (h->info & SG_INFO_OK_MASK) ? CAT_OTHER : CAT_CLEAN;
	case SCSI_STATUS_CONDITION_MET: return CAT_CONDITION_MET;
	case SCSI_STATUS_RESERVATION_CONFLICT: return CAT_RES_CONFLICT;
	case SCSI_STATUS_BUSY: return CAT_BUSY;
	case SCSI_STATUS_TASK_SET_FULL: return CAT_TS_FULL;
	case SCSI_STATUS_CHECK_CONDITION: break;
	default: return CAT_OTHER;
	}
	struct scsi_sense s;
	if (!h->sb_len_wr || scsi_sense_decode(h->sbp, h->sb_len_wr, &s) < 0 || !s.valid)
		return CAT_OTHER;
	switch (s.key) {
	case SCSI_SK_NO_SENSE: return CAT_NO_SENSE;
	case SCSI_SK_RECOVERED_ERROR: return CAT_RECOVERED;
	case SCSI_SK_NOT_READY: return CAT_NOT_READY;
	case SCSI_SK_MEDIUM_ERROR:
	case SCSI_SK_HARDWARE_ERROR:
	case SCSI_SK_BLANK_CHECK: return CAT_MEDIUM_HARD;
	case SCSI_SK_ILLEGAL_REQUEST: return s.asc == 0x20 ? CAT_INVALID_OP : CAT_ILLEGAL_REQ;
	case SCSI_SK_UNIT_ATTENTION: return CAT_UNIT_ATTENTION;
	case SCSI_SK_DATA_PROTECT: return CAT_DATA_PROTECT;
	case SCSI_SK_ABORTED_COMMAND: return CAT_ABORTED;
	case SCSI_SK_MISCOMPARE: return CAT_MISCOMPARE;
	default: return CAT_OTHER;
	}
}

/* Open a device for pass-through (O_NONBLOCK: an empty CD drive opens). */
static int sg_open(const char *tool, const char *path, bool rw)
{
	blkdev_init();
	int fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_NONBLOCK);
	if (fd < 0) {
		printf("%s: failed to open %s: %s\n", tool, path, blkdev_strerror(errno));
		return -1;
	}
	if (!blkdev_lun_of_fd(fd)) {
		printf("%s: %s is not a SCSI device\n", tool, path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Why SG_IO refused a command (nothing was sent): the errno in Linux's
 * words plus what this pass-through layer checks, so the user knows what
 * to change.
 */
static void explain_reason(const char *tool, const char *path, int fd, int err,
			   const uint8_t *cdb, unsigned cdb_len, unsigned dxfer_len)
{
	struct vscsi_lun *lun = blkdev_lun_of_fd(fd);
	if (err == EPERM && cdb_len) {
		const char *name = scsi_opcode_name(cdb[0]);
		bool unfiltered = lun && vscsi_sg_get_policy(lun) == VSCSI_SG_UNFILTERED;
		if (lun && vscsi_sg_filter_verdict(lun, cdb, cdb_len, true) == VSCSI_SG_DENIED_BY_ENTRY)
			printf("%s: opcode 0x%02x (%s) refused by a deny entry of %s's command filter; "
			       "'sg_policy %s clear' removes the entries\n",
			       tool, cdb[0], name ? name : "unknown", path, path);
		else
			printf("%s: opcode 0x%02x (%s) refused by the command filter of %s (policy "
			       "%s); 'sg_policy %s allow 0x%02x' admits it\n",
			       tool, cdb[0], name ? name : "unknown", path,
			       unfiltered ? "unfiltered" : "filtered", path, cdb[0]);
	} else if (err == E2BIG && lun) {
		struct vscsi_blk_info bi;
		if (vscsi_blk_get_info(lun, &bi) == 0)
			printf("%s: %u bytes is more than one command carries on %s (at most %u)\n",
			       tool, dxfer_len, path, bi.max_transfer_bytes);
	} else if (err == EINVAL) {
		printf("%s: the SG_IO header was refused before anything was sent (CDB length "
		       "%u, data length %u)\n", tool, cdb_len, dxfer_len);
	}
}

static void explain_refusal(const char *tool, const char *path, int fd, int err,
			    const uint8_t *cdb, unsigned cdb_len, unsigned dxfer_len)
{
	printf("%s: SG_IO ioctl failed on %s: %s\n", tool, path, blkdev_strerror(err));
	explain_reason(tool, path, fd, err, cdb, cdb_len, dxfer_len);
}

/* Fill and send one SG_IO.  Returns 0 (the command ran: see h) or errno. */
static int sg_send(int fd, struct sg_io_hdr *h, const uint8_t *cdb, unsigned cdb_len, int dir,
		   void *buf, unsigned len, uint8_t *sense, unsigned timeout_ms)
{
	memset(h, 0, sizeof *h);
	h->interface_id = SG_INTERFACE_ID_ORIG;
	h->dxfer_direction = len ? dir : SG_DXFER_NONE;
	h->cmd_len = (unsigned char)cdb_len;
	h->cmdp = (unsigned char *)cdb;
	h->dxferp = buf;
	h->dxfer_len = len;
	h->sbp = sense;
	h->mx_sb_len = SENSE_MAX;
	h->timeout = timeout_ms;
	return ioctl(fd, SG_IO, h) < 0 ? errno : 0;
}

/*
 * Bytes a completed data-in command delivered: dxfer_len - resid, or the
 * whole buffer when the device reported a residual that counts nothing
 * (VSCSI_SG_INFO_RESID_UNKNOWN): callers then go by the lengths inside the
 * data, which they bound by the buffer.
 */
static int sg_received(const struct sg_io_hdr *h)
{
	if (h->info & VSCSI_SG_INFO_RESID_UNKNOWN)
		return (int)h->dxfer_len;
	int got = (int)h->dxfer_len - h->resid;
	return got < 0 ? 0 : got;
}

/* ---- sg_raw -------------------------------------------------------------------- */

/* sg_raw's command line, parsed. */
struct sg_raw_opts {
	const char *path;
	const char *infile;          /* -i: /dev/X or inline hex for the data-out */
	uint64_t rlen, slen, timeout_s;
	bool readonly, verbose, nosense;
	uint8_t cdb[64];
	size_t cdb_len;
};

/* What the command did. */
struct sg_raw_result {
	int err;                     /* SG_IO refused it (nothing sent): errno */
	struct sg_io_hdr h;
	uint8_t sense[SENSE_MAX];
};

static size_t sg_raw_data_len(const struct sg_raw_opts *o)
{
	return (size_t)(o->rlen ? o->rlen : o->slen);
}

/* The option at argv[*i] (a value may take the next word); 0, or an exit
 * status after printing why. */
static int sg_raw_option(int argc, char **argv, int *i, struct sg_raw_opts *o)
{
	const char *a = argv[*i];
	const char *val = NULL;
	char opt = 0;
	if (!strncmp(a, "--request=", 10))
		opt = 'r', val = a + 10;
	else if (!strncmp(a, "--send=", 7))
		opt = 's', val = a + 7;
	else if (!strncmp(a, "--infile=", 9))
		opt = 'i', val = a + 9;
	else if (!strncmp(a, "--timeout=", 10))
		opt = 't', val = a + 10;
	else if (!strcmp(a, "-r") || !strcmp(a, "-s") || !strcmp(a, "-i") || !strcmp(a, "-t")) {
		if (*i + 1 >= argc) {
			printf("sg_raw: option '%s' requires an argument\n", a);
			shell_usage(argv[0]);
			return CAT_SYNTAX;
		}
		opt = a[1];
		val = argv[++*i];
	} else if (!strcmp(a, "-R") || !strcmp(a, "--readonly"))
		o->readonly = true;
	else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
		o->verbose = true;
	else if (!strcmp(a, "-n") || !strcmp(a, "--nosense"))
		o->nosense = true;
	else {
		printf("sg_raw: unrecognised option '%s'\n", a);
		shell_usage(argv[0]);
		return CAT_SYNTAX;
	}
	if (opt == 'i') {
		o->infile = val;
	} else if (opt) {
		uint64_t *dst = opt == 'r' ? &o->rlen : opt == 's' ? &o->slen : &o->timeout_s;
		if (!parse_number(val, &sg_number_syntax, dst)) {
			printf("sg_raw: invalid %s '%s'\n",
			       opt == 'r' ? "request length" : opt == 's' ? "send length" : "timeout",
			       val);
			return CAT_SYNTAX;
		}
	}
	return 0;
}

/* CDB bytes from one word after the device name; 0, or an exit status. */
static int sg_raw_cdb_word(const char *word, struct sg_raw_opts *o)
{
	const char *bad = NULL;
	if (!parse_hex_bytes(word, o->cdb, sizeof o->cdb, &o->cdb_len, &bad)) {
		if (o->cdb_len >= sizeof o->cdb)
			printf("sg_raw: CDB too long (max. %u bytes)\n", (unsigned)sizeof o->cdb);
		else
			printf("sg_raw: Invalid command byte '%s'\n", word);
		return CAT_SYNTAX;
	}
	return 0;
}

/* The CDB once every word is read; 0, or an exit status. */
static int sg_raw_cdb_check(char **argv, struct sg_raw_opts *o)
{
	if (o->cdb_len == 0) {
		printf("sg_raw: No command bytes given\n");
		shell_usage(argv[0]);
		return CAT_SYNTAX;
	}
	if (o->cdb_len < 6) {
		printf("sg_raw: CDB too short (min. 6 bytes), got %u\n", (unsigned)o->cdb_len);
		return CAT_SYNTAX;
	}
	return 0;
}

/* Options may come anywhere, before or after the device and the CDB, as
 * sg3_utils' sg_raw takes them (getopt_long permutes); "--" ends them. */
static int sg_raw_parse(int argc, char **argv, struct sg_raw_opts *o)
{
	memset(o, 0, sizeof *o);
	bool options = true;
	int st;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options && !strcmp(a, "--"))
			options = false;
		else if (options && a[0] == '-' && a[1])
			st = sg_raw_option(argc, argv, &i, o);
		else if (!o->path)
			o->path = a, st = 0;
		else
			st = sg_raw_cdb_word(a, o);
		if (st)
			return st;
	}
	if (!o->path) {
		printf("sg_raw: no device specified\n");
		shell_usage(argv[0]);
		return CAT_SYNTAX;
	}
	if ((st = sg_raw_cdb_check(argv, o)))
		return st;
	if (o->rlen && o->slen) {
		printf("sg_raw: can't send and receive data at the same time "
		       "(bidirectional transfers are not supported)\n");
		return CAT_SYNTAX;
	}
	if (o->infile && !o->slen) {
		printf("sg_raw: --infile needs --send=LEN\n");
		return CAT_SYNTAX;
	}
	if (o->rlen > UINT32_MAX || o->slen > UINT32_MAX) {
		printf("sg_raw: data length %llu is too large (at most 4294967295)\n",
		       (unsigned long long)(o->rlen ? o->rlen : o->slen));
		return CAT_SYNTAX;
	}
	return 0;
}

/* The data-out bytes of -i /dev/X: exactly the buffer's length of them. */
static int sg_raw_read_infile(const char *infile, struct io_buffer *data)
{
	int in = open(infile, O_RDONLY);
	long got = in < 0 ? -1 : read(in, data->p, data->size);
	int e = errno;
	if (in >= 0)
		close(in);
	if (got < 0 || (size_t)got != data->size) {
		printf("sg_raw: error reading %lu bytes from %s: %s\n", (unsigned long)data->size,
		       infile, got < 0 ? blkdev_strerror(e) : "short read");
		return CAT_FILE_ERROR;
	}
	return 0;
}

/* The data buffer: zeroes (Linux's sg_raw reads stdin; here data-out is
 * zeroes unless -i), a device's first bytes, or inline hex padded with
 * zeroes.  0, or an exit status after printing why. */
static int sg_raw_prepare(const struct sg_raw_opts *o, struct io_buffer *data)
{
	size_t dlen = sg_raw_data_len(o);
	if (dlen && !io_buffer_alloc(data, dlen)) {
		printf("sg_raw: unable to allocate %lu bytes for the data %s buffer\n",
		       (unsigned long)dlen, o->rlen ? "in" : "out");
		return CAT_OTHER;
	}
	if (!o->slen || !o->infile)
		return 0;
	if (!strncmp(o->infile, "/dev/", 5))
		return sg_raw_read_infile(o->infile, data);
	size_t n = 0;
	const char *bad = NULL;
	if (!parse_hex_bytes(o->infile, data->p, dlen, &n, &bad)) {
		if (n >= dlen)
			printf("sg_raw: --infile data longer than --send=%lu\n", (unsigned long)dlen);
		else
			printf("sg_raw: invalid hex data at '%s'\n", bad);
		return CAT_SYNTAX;
	}
	return 0;
}

static void sg_raw_execute(const struct sg_raw_opts *o, int fd, struct io_buffer *data,
			   struct sg_raw_result *r)
{
	if (o->verbose) {
		printf("    cdb to send: [");
		for (size_t k = 0; k < o->cdb_len; k++)
			printf("%s%02x", k ? " " : "", o->cdb[k]);
		printf("]\n");
	}
	r->err = sg_send(fd, &r->h, o->cdb, (unsigned)o->cdb_len,
			 o->rlen ? SG_DXFER_FROM_DEV : SG_DXFER_TO_DEV, data->p,
			 (unsigned)sg_raw_data_len(o), r->sense,
			 o->timeout_s ? (unsigned)(o->timeout_s * 1000) : DEFAULT_TIMEOUT_MS);
}

/* sg_raw's report: why SG_IO refused, or status, sense and data in. */
static int sg_raw_print(const struct sg_raw_opts *o, int fd, const struct io_buffer *data,
			const struct sg_raw_result *r)
{
	if (r->err) {
		explain_refusal("sg_raw", o->path, fd, r->err, o->cdb, (unsigned)o->cdb_len,
				(unsigned)sg_raw_data_len(o));
		return CAT_OS_BASE + r->err;
	}
	const struct sg_io_hdr *h = &r->h;
	int status = sg_category(h);
	if (h->host_status != VSCSI_DID_OK)
		printf("Transport error: %s (host_status 0x%02x)\n", host_status_text(h->host_status),
		       h->host_status);
	if (h->driver_status == VSCSI_DRIVER_TIMEOUT)
		printf("Command timed out\n");
	printf("SCSI Status: %s \n\n", status_text(h->status));
	if (h->sb_len_wr && !o->nosense) {
		printf("Sense Information:\n");
		print_sense(r->sense, h->sb_len_wr);
		printf("\n");
	}
	if (o->rlen && (status == CAT_CLEAN || status == CAT_RECOVERED || status == CAT_CONDITION_MET)) {
		int got = sg_received(h);
		if (h->info & VSCSI_SG_INFO_RESID_UNKNOWN)
			printf("Received data, byte count unknown: the device reported a residual "
			       "larger than the %u-byte buffer; the whole buffer follows:\n",
			       h->dxfer_len);
		else
			printf("Received %d bytes of data:\n", got);
		sg_hexdump(data->p, (size_t)got);
	}
	if (o->verbose)
		printf("    duration=%u ms\n", h->duration);
	return status;
}

int cmd_sg_raw(int argc, char **argv)
{
	struct sg_raw_opts o;
	int status = sg_raw_parse(argc, argv, &o);
	if (status)
		return status;
	struct io_buffer data = { 0 };
	status = sg_raw_prepare(&o, &data);
	if (!status) {
		int fd = sg_open("sg_raw", o.path, !o.readonly);
		if (fd < 0) {
			status = CAT_FILE_ERROR;
		} else {
			struct sg_raw_result r;
			sg_raw_execute(&o, fd, &data, &r);
			status = sg_raw_print(&o, fd, &data, &r);
			close(fd);
		}
	}
	io_buffer_free(&data);
	return status;
}

/* ---- device identification shared by sg_inq / sg_persist ------------------------ */

static const char *pdt_text(uint8_t pdt)
{
	static const char *const names[32] = {
		"disk", "tape", "printer", "processor", "write once optical disk", "cd/dvd",
		"scanner", "optical memory device", "medium changer", "communications",
		"graphics [0xa]", "graphics [0xb]", "storage array controller",
		"enclosure services device", "simplified direct access device",
		"optical card reader/writer device", "bridge controller commands",
		"object based storage", "automation/driver interface", "security manager device",
		"host managed zoned block", "0x15", "0x16", "0x17", "0x18", "0x19", "0x1a", "0x1b",
		"0x1c", "0x1d", "well known logical unit", "no physical device on this lu",
	};
	return names[pdt & 0x1f];
}

/* Copy `n` bytes of INQUIRY text, non-printables as blanks. */
static void inq_text(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : ' ';
	out[n] = 0;
}

/* Standard INQUIRY into buf (at least 96 bytes); returns bytes received or -1. */
static int std_inquiry(int fd, uint8_t *buf, unsigned len, struct sg_io_hdr *h, uint8_t *sense)
{
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned cl = scsi_cdb_inquiry(cdb, false, 0, (uint16_t)len);
	memset(buf, 0, len);
	int err = sg_send(fd, h, cdb, cl, SG_DXFER_FROM_DEV, buf, len, sense, DEFAULT_TIMEOUT_MS);
	if (err)
		return -err;
	if (sg_category(h) != CAT_CLEAN)
		return -EIO;
	return sg_received(h);
}

/* ---- sg_inq ------------------------------------------------------------------------ */

static const char *version_text(uint8_t v)
{
	switch (v) {
	case 0: return "[no conformance claimed]";
	case 1: return "[SCSI-1]";
	case 2: return "[SCSI-2]";
	case 3: return "[SPC]";
	case 4: return "[SPC-2]";
	case 5: return "[SPC-3]";
	case 6: return "[SPC-4]";
	case 7: return "[SPC-5]";
	default: return "[unknown]";
	}
}

static int vpd_page(int fd, uint8_t page, uint8_t *buf, unsigned len, int *got)
{
	uint8_t cdb[SCSI_MAX_CDB], sense[SENSE_MAX];
	struct sg_io_hdr h;
	unsigned cl = scsi_cdb_inquiry(cdb, true, page, (uint16_t)len);
	memset(buf, 0, len);
	int err = sg_send(fd, &h, cdb, cl, SG_DXFER_FROM_DEV, buf, len, sense, DEFAULT_TIMEOUT_MS);
	if (err)
		return CAT_OS_BASE + err;
	int cat = sg_category(&h);
	if (cat == CAT_CLEAN) {
		/* The page's own length (SPC-4 §7.8.1: PAGE LENGTH, bytes 2-3),
		 * not the transfer's: devices pad (QEMU 7.2 returns the whole
		 * allocation length with a residual of 0). */
		*got = sg_received(&h);
		if (*got < 4 || buf[1] != page)
			return CAT_OTHER;
		if (4 + (int)be16(buf + 2) < *got)
			*got = 4 + be16(buf + 2);
	} else if (h.sb_len_wr) {
		printf("inquiry: ");
		print_sense(sense, h.sb_len_wr);
	}
	return cat;
}

/* sg_inq's command line, parsed. */
struct sg_inq_opts {
	const char *path;
	bool hex;                /* -H: hex dump instead of decoding */
	bool have_page;          /* -p PAGE (or -s: page 80h) */
	uint64_t page;
};

static int sg_inq_parse(int argc, char **argv, struct sg_inq_opts *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (!strncmp(a, "--page=", 7))
			val = a + 7;
		else if (!strcmp(a, "-p") || !strcmp(a, "--page")) {
			if (i + 1 >= argc) {
				printf("sg_inq: option '%s' requires an argument\n", a);
				return CAT_SYNTAX;
			}
			val = argv[++i];
		} else if (!strcmp(a, "-H") || !strcmp(a, "--hex"))
			o->hex = true;
		else if (!strcmp(a, "-s") || !strcmp(a, "--serial"))
			val = "0x80";
		else if (a[0] == '-') {
			printf("sg_inq: unrecognised option '%s'\n", a);
			shell_usage(argv[0]);
			return CAT_SYNTAX;
		} else if (o->path) {
			printf("sg_inq: only one device at a time\n");
			return CAT_SYNTAX;
		} else
			o->path = a;
		if (val) {
			if (!parse_number(val, &sg_number_syntax, &o->page) || o->page > 0xff) {
				printf("sg_inq: bad VPD page '%s' (a number 0..255, e.g. 0x83)\n", val);
				return CAT_SYNTAX;
			}
			o->have_page = true;
		}
	}
	if (!o->path) {
		printf("sg_inq: no device specified\n");
		shell_usage(argv[0]);
		return CAT_SYNTAX;
	}
	return 0;
}

/* A fetched VPD page: decoded (80h, the serial number) or dumped. */
static int sg_inq_show_vpd(const struct sg_inq_opts *o, const uint8_t *buf, int got, int status)
{
	if (status != CAT_CLEAN) {
		printf("sg_inq: VPD page 0x%02x fetch failed: %s\n", (unsigned)o->page,
		       category_text(status));
		return status;
	}
	printf("VPD INQUIRY, page code=0x%02x:\n", (unsigned)o->page);
	if (o->page == 0x80 && !o->hex) {
		unsigned l = be16(buf + 2);
		char sn[256];
		if (l > (unsigned)got - 4)
			l = (unsigned)got - 4;
		if (l > sizeof sn - 1)
			l = sizeof sn - 1;
		inq_text(sn, buf + 4, l);
		printf(" Unit serial number: %s\n", sn);
	} else {
		sg_hexdump(buf, (size_t)got);
	}
	return status;
}

/* -p PAGE: a page longer than the first fetch is fetched again whole, as
 * sg_inq does. */
static int sg_inq_vpd(int fd, const struct sg_inq_opts *o)
{
	uint8_t first[252];
	uint8_t *buf = first;
	int got = 0;
	int status = vpd_page(fd, (uint8_t)o->page, buf, sizeof first, &got);
	unsigned want = status == CAT_CLEAN ? 4 + be16(buf + 2) : 0;
	if (want > sizeof first) {
		if (want > 0xffff)
			want = 0xffff; /* the allocation length is 16 bits */
		buf = malloc(want);
		if (!buf) {
			printf("sg_inq: no memory for the %u-byte page\n", want);
			return CAT_OTHER;
		}
		status = vpd_page(fd, (uint8_t)o->page, buf, want, &got);
	}
	status = sg_inq_show_vpd(o, buf, got, status);
	if (buf != first)
		free(buf);
	return status;
}

/* A standard INQUIRY that returned less than its header; the exit status. */
static int sg_inq_failed(const char *path, int got, const struct sg_io_hdr *h,
			 const uint8_t *sense)
{
	if (got == -EPERM || got == -EINVAL || got == -ENODEV || got == -E2BIG) {
		printf("sg_inq: SG_IO ioctl failed on %s: %s\n", path, blkdev_strerror(-got));
		return CAT_OS_BASE - got;
	}
	int status = got < 0 && got != -EIO ? CAT_OS_BASE - got : sg_category(h);
	if (h->sb_len_wr)
		print_sense(sense, h->sb_len_wr);
	printf("sg_inq: standard INQUIRY failed: %s\n", category_text(status ? status : CAT_OTHER));
	return status ? status : CAT_OTHER;
}

/* The standard INQUIRY data decoded field by field, as sg_inq prints it
 * (SPC-4 §6.4.2). */
static void sg_inq_print_standard(const uint8_t *b, int got)
{
	unsigned len = (unsigned)b[4] + 5;
	printf("standard INQUIRY:\n");
	printf("  PQual=%u  PDT=%u  RMB=%u  LU_CONG=%u  hot_pluggable=%u  version=0x%02x  %s\n",
	       b[0] >> 5, b[0] & 0x1f, b[1] >> 7 & 1, b[1] >> 6 & 1, b[1] >> 4 & 3, b[2],
	       version_text(b[2]));
	printf("  [AERC=%u]  [TrmTsk=%u]  NormACA=%u  HiSUP=%u  Resp_data_format=%u\n",
	       b[3] >> 7 & 1, b[3] >> 6 & 1, b[3] >> 5 & 1, b[3] >> 4 & 1, b[3] & 0xf);
	printf("  SCCS=%u  ACC=%u  TPGS=%u  3PC=%u  Protect=%u  [BQue=%u]\n", b[5] >> 7 & 1,
	       b[5] >> 6 & 1, b[5] >> 4 & 3, b[5] >> 3 & 1, b[5] & 1, b[6] >> 7 & 1);
	printf("  EncServ=%u  MultiP=%u  [MChngr=%u]  [ACKREQQ=%u]  Addr16=%u\n", b[6] >> 6 & 1,
	       b[6] >> 4 & 1, b[6] >> 3 & 1, b[6] >> 2 & 1, b[6] & 1);
	printf("  [RelAdr=%u]  WBus16=%u  Sync=%u  [Linked=%u]  [TranDis=%u]  CmdQue=%u\n",
	       b[7] >> 7 & 1, b[7] >> 5 & 1, b[7] >> 4 & 1, b[7] >> 3 & 1, b[7] >> 2 & 1,
	       b[7] >> 1 & 1);
	if (got > 56)
		printf("  [SPI: Clocking=0x%x  QAS=%u  IUS=%u]\n", b[56] >> 2 & 3, b[56] >> 1 & 1,
		       b[56] & 1);
	printf("    length=%u (0x%x)   Peripheral device type: %s\n", len, len,
	       pdt_text(b[0] & 0x1f));
	if (got >= 36) {
		char t[20];
		inq_text(t, b + 8, 8);
		printf(" Vendor identification: %s\n", t);
		inq_text(t, b + 16, 16);
		printf(" Product identification: %s\n", t);
		inq_text(t, b + 32, 4);
		printf(" Product revision level: %s\n", t);
	}
}

/* The unit serial number, when the device lists VPD page 80h in page 00h. */
static void sg_inq_print_serial(int fd)
{
	uint8_t vpd[252], cdb[SCSI_MAX_CDB], sense[SENSE_MAX];
	struct sg_io_hdr h;
	unsigned cl = scsi_cdb_inquiry(cdb, true, 0x00, sizeof vpd);
	if (sg_send(fd, &h, cdb, cl, SG_DXFER_FROM_DEV, vpd, sizeof vpd, sense, DEFAULT_TIMEOUT_MS) ||
	    sg_category(&h) != CAT_CLEAN)
		return;
	int vg = sg_received(&h);
	unsigned n = vg >= 4 ? be16(vpd + 2) : 0;
	bool has80 = false;
	for (unsigned k = 0; k < n && 4 + k < (unsigned)vg; k++)
		if (vpd[4 + k] == 0x80)
			has80 = true;
	cl = scsi_cdb_inquiry(cdb, true, 0x80, sizeof vpd);
	if (!has80 ||
	    sg_send(fd, &h, cdb, cl, SG_DXFER_FROM_DEV, vpd, sizeof vpd, sense, DEFAULT_TIMEOUT_MS) ||
	    sg_category(&h) != CAT_CLEAN)
		return;
	vg = sg_received(&h);
	unsigned l = vg >= 4 ? be16(vpd + 2) : 0;
	if (l > (unsigned)vg - 4)
		l = (unsigned)vg - 4;
	char sn[256];
	inq_text(sn, vpd + 4, l);
	printf(" Unit serial number: %s\n", sn);
}

/* The standard INQUIRY: 36 bytes first, then what the device says it has
 * (as sg_inq does): some devices, QEMU's among them, echo the allocation
 * length back. */
static int sg_inq_standard(int fd, const struct sg_inq_opts *o)
{
	uint8_t buf[252], sense[SENSE_MAX];
	struct sg_io_hdr h;
	int got = std_inquiry(fd, buf, 36, &h, sense);
	if (got >= 5 && buf[4] + 5 > 36) {
		unsigned want = buf[4] + 5u > sizeof buf ? (unsigned)sizeof buf : buf[4] + 5u;
		got = std_inquiry(fd, buf, want, &h, sense);
	}
	if (got < 5)
		return sg_inq_failed(o->path, got, &h, sense);
	if (o->hex) {
		printf("standard INQUIRY:\n");
		sg_hexdump(buf, (size_t)got);
		return 0;
	}
	sg_inq_print_standard(buf, got);
	sg_inq_print_serial(fd);
	return CAT_CLEAN;
}

int cmd_sg_inq(int argc, char **argv)
{
	struct sg_inq_opts o;
	int status = sg_inq_parse(argc, argv, &o);
	if (status)
		return status;
	int fd = sg_open("sg_inq", o.path, false);
	if (fd < 0)
		return CAT_FILE_ERROR;
	status = o.have_page ? sg_inq_vpd(fd, &o) : sg_inq_standard(fd, &o);
	close(fd);
	return status;
}

/* ---- sg_readcap ---------------------------------------------------------------------- */

static void print_device_size(uint64_t blocks, uint32_t bs)
{
	unsigned __int128 bytes = (unsigned __int128)blocks * bs;
	uint64_t b = (uint64_t)bytes;
	/* MiB with one decimal, GB with two, rounded to nearest */
	uint64_t mib10 = (uint64_t)((bytes * 10 + (1u << 19)) >> 20);
	uint64_t gb100 = (uint64_t)((bytes + 5000000) / 10000000);
	printf("Hence:\n   Device size: %llu bytes, %llu.%llu MiB, %llu.%02llu GB",
	       (unsigned long long)b, (unsigned long long)(mib10 / 10),
	       (unsigned long long)(mib10 % 10), (unsigned long long)(gb100 / 100),
	       (unsigned long long)(gb100 % 100));
	if (gb100 >= 100000) {
		uint64_t tb100 = (uint64_t)((bytes + 5000000000ull) / 10000000000ull);
		printf(", %llu.%02llu TB", (unsigned long long)(tb100 / 100),
		       (unsigned long long)(tb100 % 100));
	}
	printf("\n");
}

static int readcap_failed(const char *what, const struct sg_io_hdr *h, const uint8_t *sense)
{
	int cat = sg_category(h);
	if (h->sb_len_wr)
		print_sense(sense, h->sb_len_wr);
	printf("%s failed: %s\n", what, category_text(cat));
	return cat ? cat : CAT_OTHER;
}

int cmd_sg_readcap(int argc, char **argv)
{
	const char *path = NULL;
	bool longer = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--long") || !strcmp(argv[i], "-16"))
			longer = true;
		else if (argv[i][0] == '-') {
			printf("sg_readcap: unrecognised option '%s'\n", argv[i]);
			shell_usage(argv[0]);
			return CAT_SYNTAX;
		} else if (path) {
			printf("sg_readcap: only one device at a time\n");
			return CAT_SYNTAX;
		} else
			path = argv[i];
	}
	if (!path) {
		printf("sg_readcap: no device specified\n");
		shell_usage(argv[0]);
		return CAT_SYNTAX;
	}
	int fd = sg_open("sg_readcap", path, false);
	if (fd < 0)
		return CAT_FILE_ERROR;
	uint8_t cdb[SCSI_MAX_CDB], sense[SENSE_MAX], buf[32];
	struct sg_io_hdr h;
	int status = CAT_CLEAN, err;
	if (!longer) {
		unsigned cl = scsi_cdb_read_capacity10(cdb);
		memset(buf, 0, sizeof buf);
		if ((err = sg_send(fd, &h, cdb, cl, SG_DXFER_FROM_DEV, buf, 8, sense,
				   DEFAULT_TIMEOUT_MS))) {
			explain_refusal("sg_readcap", path, fd, err, cdb, cl, 8);
			close(fd);
			return CAT_OS_BASE + err;
		}
		if (sg_category(&h) != CAT_CLEAN) {
			status = readcap_failed("READ CAPACITY (10)", &h, sense);
			close(fd);
			return status;
		}
		uint32_t last = be32(buf), bs = be32(buf + 4);
		if (last != 0xffffffffu) {
			printf("Read Capacity results:\n");
			printf("   Last LBA=%u (0x%x), Number of logical blocks=%llu\n", last, last,
			       (unsigned long long)last + 1);
			printf("   Logical block length=%u bytes\n", bs);
			print_device_size((uint64_t)last + 1, bs);
			close(fd);
			return 0;
		}
		/* Too big for (10): ask again with (16), as sg_readcap does. */
	}
	unsigned cl = scsi_cdb_read_capacity16(cdb, 32);
	memset(buf, 0, sizeof buf);
	if ((err = sg_send(fd, &h, cdb, cl, SG_DXFER_FROM_DEV, buf, 32, sense, DEFAULT_TIMEOUT_MS))) {
		explain_refusal("sg_readcap", path, fd, err, cdb, cl, 32);
		close(fd);
		return CAT_OS_BASE + err;
	}
	if (sg_category(&h) != CAT_CLEAN) {
		status = readcap_failed("READ CAPACITY (16)", &h, sense);
		close(fd);
		return status;
	}
	uint64_t last = be64(buf);
	uint32_t bs = be32(buf + 8);
	unsigned exp = buf[13] & 0xf;
	printf("Read Capacity results:\n");
	printf("   Protection: prot_en=%u, p_type=%u, p_i_exponent=%u\n", buf[12] & 1,
	       buf[12] >> 1 & 7, buf[13] >> 4);
	printf("   Logical block provisioning: lbpme=%u, lbprz=%u\n", buf[14] >> 7 & 1,
	       buf[14] >> 6 & 1);
	printf("   Last LBA=%llu (0x%llx), Number of logical blocks=%llu\n",
	       (unsigned long long)last, (unsigned long long)last, (unsigned long long)last + 1);
	printf("   Logical block length=%u bytes\n", bs);
	if (exp)
		printf("   Logical blocks per physical block exponent=%u [so physical block "
		       "length=%u bytes]\n", exp, bs << exp);
	else
		printf("   Logical blocks per physical block exponent=0\n");
	printf("   Lowest aligned LBA=%u\n", (unsigned)((buf[14] & 0x3f) << 8 | buf[15]));
	print_device_size(last + 1, bs);
	close(fd);
	return 0;
}

/* ---- sg_persist ----------------------------------------------------------------------- */

static const char *pr_type_text(unsigned t)
{
	switch (t) {
	case 1: return "Write Exclusive";
	case 3: return "Exclusive Access";
	case 5: return "Write Exclusive, registrants only";
	case 6: return "Exclusive Access, registrants only";
	case 7: return "Write Exclusive, all registrants";
	case 8: return "Exclusive Access, all registrants";
	default: return "obsolete or reserved";
	}
}

static const char *pr_scope_text(unsigned s)
{
	switch (s) {
	case 0: return "LU_SCOPE";
	case 1: return "obsolete scope";
	case 2: return "Element_SCOPE";
	default: return "unknown scope";
	}
}

static const char *const prout_names[8] = {
	"Register", "Reserve", "Release", "Clear", "Preempt", "Preempt and abort",
	"Register and ignore existing key", "Register and move",
};
static const char *const prin_names[4] = {
	"Read keys", "Read reservation", "Report capabilities", "Read full status",
};

/* sg_persist's command line, parsed. */
struct pr_opts {
	const char *path;
	bool out;                 /* PERSISTENT RESERVE OUT (else IN) */
	int in_sa, out_sa;        /* service actions; -1 none given */
	bool no_inquiry, aptpl, readonly;
	uint64_t rk, sark, type;  /* reservation key, service action key, type */
};

/* What the PERSISTENT RESERVE command did. */
struct pr_result {
	int err;                  /* SG_IO refused it (nothing sent): errno */
	struct sg_io_hdr h;
	uint8_t cdb[SCSI_MAX_CDB];
	uint8_t sense[SENSE_MAX];
	uint8_t data[1024];       /* PR IN's parameter data */
	int got;                  /* bytes of it received */
};

/* Keys are hex in sg_persist, with or without 0x: up to 16 digits. */
static bool parse_key(const char *opt, const char *s, uint64_t *out)
{
	const char *digits = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s;
	if (strlen(digits) <= 16 && parse_number(s, &sg_hex_syntax, out))
		return true;
	printf("sg_persist: bad argument to '%s': '%s' (a hex key of up to 16 digits)\n", opt, s);
	return false;
}

/* Take the value of an option that has one. */
static bool pr_value(struct pr_opts *o, char key, const char *val)
{
	switch (key) {
	case 'K': return parse_key("--param-rk", val, &o->rk);
	case 'S': return parse_key("--param-sark", val, &o->sark);
	case 'T':
		if (!parse_number(val, &sg_number_syntax, &o->type) || o->type > 15) {
			printf("sg_persist: bad argument to '--prout-type': '%s' (0..15, e.g. 1 "
			       "Write Exclusive, 3 Exclusive Access)\n", val);
			return false;
		}
		return true;
	default:
		o->path = val;
		return true;
	}
}

/* An option with a value at argv[*i] (--x=V, --x V, -X V): 0 taken, -1
 * when argv[*i] is not one, or an exit status after printing why. */
static int pr_valued_option(int argc, char **argv, int *i, struct pr_opts *o)
{
	static const struct {
		const char *lng;
		char shrt;
	} valued[] = { { "--param-rk", 'K' }, { "--param-sark", 'S' },
		       { "--prout-type", 'T' }, { "--device", 'd' } };
	const char *a = argv[*i];
	for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
		size_t l = strlen(valued[k].lng);
		const char *val;
		if (!strncmp(a, valued[k].lng, l) && a[l] == '=') {
			val = a + l + 1;
		} else if (!strcmp(a, valued[k].lng) || (a[0] == '-' && a[1] == valued[k].shrt && !a[2])) {
			if (*i + 1 >= argc) {
				printf("sg_persist: option '%s' requires an argument\n", a);
				return CAT_SYNTAX;
			}
			val = argv[++*i];
		} else {
			continue;
		}
		return pr_value(o, valued[k].shrt, val) ? 0 : CAT_SYNTAX;
	}
	return -1;
}

/* An option without a value; false when `a` is none of them. */
static bool pr_flag_option(struct pr_opts *o, const char *a)
{
	static const struct {
		const char *shrt, *lng;
		char what;        /* o: direction, i: PR IN action, O: PR OUT action, n Y y: flags */
		int value;
	} flags[] = {
		{ "-o", "--out", 'o', 1 }, { "-i", "--in", 'o', 0 },
		{ "-k", "--read-keys", 'i', 0 }, { "-r", "--read-reservation", 'i', 1 },
		{ "-c", "--report-capabilities", 'i', 2 }, { "-s", "--read-full-status", 'i', 3 },
		{ "-G", "--register", 'O', 0 }, { "-R", "--reserve", 'O', 1 },
		{ "-L", "--release", 'O', 2 }, { "-C", "--clear", 'O', 3 },
		{ "-P", "--preempt", 'O', 4 }, { "-A", "--preempt-abort", 'O', 5 },
		{ "-I", "--register-ignore", 'O', 6 },
		{ "-n", "--no-inquiry", 'n', 1 }, { "-Y", "--param-aptpl", 'Y', 1 },
		{ "-y", "--readonly", 'y', 1 },
	};
	for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
		if (strcmp(a, flags[k].shrt) && strcmp(a, flags[k].lng))
			continue;
		switch (flags[k].what) {
		case 'o': o->out = flags[k].value; break;
		case 'i': o->in_sa = flags[k].value; break;
		case 'O': o->out_sa = flags[k].value; break;
		case 'n': o->no_inquiry = true; break;
		case 'Y': o->aptpl = true; break;
		default: o->readonly = true; break;
		}
		return true;
	}
	return false;
}

/* The combinations sg_persist refuses; 0, or an exit status. */
static int pr_check(struct pr_opts *o, const char *cmd)
{
	if (!o->path) {
		printf("sg_persist: no device specified\n");
		shell_usage(cmd);
		return CAT_SYNTAX;
	}
	if (o->out_sa >= 0 && !o->out) {
		printf("sg_persist: %s needs --out (-o)\n", prout_names[o->out_sa]);
		return CAT_SYNTAX;
	}
	if (o->out && o->out_sa < 0) {
		printf("sg_persist: --out needs a service action (--register, --reserve, --release, "
		       "--clear, --preempt, --preempt-abort, --register-ignore)\n");
		return CAT_SYNTAX;
	}
	if (o->out && o->in_sa >= 0) {
		printf("sg_persist: choose either --in actions (-k -r -c -s) or --out actions\n");
		return CAT_SYNTAX;
	}
	if (!o->out && o->in_sa < 0)
		o->in_sa = 0; /* sg_persist DEVICE: read keys */
	return 0;
}

static int pr_parse(int argc, char **argv, struct pr_opts *o)
{
	memset(o, 0, sizeof *o);
	o->in_sa = o->out_sa = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int st = pr_valued_option(argc, argv, &i, o);
		if (st > 0)
			return st;
		if (st == 0 || pr_flag_option(o, a))
			continue;
		if (a[0] == '-') {
			printf("sg_persist: unrecognised option '%s'\n", a);
			shell_usage(argv[0]);
			return CAT_SYNTAX;
		}
		if (o->path) {
			printf("sg_persist: only one device at a time\n");
			return CAT_SYNTAX;
		}
		o->path = a;
	}
	return pr_check(o, argv[0]);
}

/* "  VENDOR  PRODUCT  REV" and the device type, as sg_persist starts. */
static void pr_print_identity(int fd, const char *path)
{
	uint8_t inq[96], sense[SENSE_MAX];
	struct sg_io_hdr h;
	int got = std_inquiry(fd, inq, sizeof inq, &h, sense);
	if (got < 36) {
		printf("sg_persist: INQUIRY failed on %s\n", path);
		return;
	}
	char v[9], p[17], r[5];
	inq_text(v, inq + 8, 8);
	inq_text(p, inq + 16, 16);
	inq_text(r, inq + 32, 4);
	printf("  %s  %s  %s\n", v, p, r);
	printf("  Peripheral device type: %s\n", pdt_text(inq[0] & 0x1f));
}

static void pr_execute(const struct pr_opts *o, int fd, struct pr_result *r)
{
	memset(r, 0, sizeof *r);
	if (o->out) {
		/* PERSISTENT RESERVE OUT parameter list, SPC-4 §6.16.3 (24 bytes). */
		uint8_t param[24] = { 0 };
		for (int k = 0; k < 8; k++) {
			param[k] = (uint8_t)(o->rk >> (56 - 8 * k));
			param[8 + k] = (uint8_t)(o->sark >> (56 - 8 * k));
		}
		if (o->aptpl)
			param[20] |= 1;
		unsigned cl = scsi_cdb_pr_out(r->cdb, (uint8_t)o->out_sa, (uint8_t)(o->type & 0xf),
					      sizeof param);
		r->err = sg_send(fd, &r->h, r->cdb, cl, SG_DXFER_TO_DEV, param, sizeof param,
				 r->sense, DEFAULT_TIMEOUT_MS);
		return;
	}
	unsigned cl = scsi_cdb_pr_in(r->cdb, (uint8_t)o->in_sa, sizeof r->data);
	r->err = sg_send(fd, &r->h, r->cdb, cl, SG_DXFER_FROM_DEV, r->data, sizeof r->data,
			 r->sense, DEFAULT_TIMEOUT_MS);
	r->got = sg_received(&r->h);
}

/* Report a PR command that did not end GOOD; returns the exit status. */
static int pr_failed(const struct pr_opts *o, int fd, const struct pr_result *r)
{
	const char *dir = o->out ? "out" : "in";
	const char *sa_name = o->out ? prout_names[o->out_sa] : prin_names[o->in_sa];
	if (r->err) {
		printf("PR %s (%s): pass-through os error: %s\n", dir, sa_name, blkdev_strerror(r->err));
		explain_reason("sg_persist", o->path, fd, r->err, r->cdb, 10, 24);
		printf("sg_persist failed: %s\n", blkdev_strerror(r->err));
		return CAT_OS_BASE + r->err;
	}
	int cat = sg_category(&r->h);
	if (r->h.sb_len_wr) {
		printf("Persistent reservation %s:\n", dir);
		print_sense(r->sense, r->h.sb_len_wr);
	}
	printf("PR %s (%s): %s\n", dir, sa_name, category_text(cat));
	printf("sg_persist failed: %s\n", category_text(cat));
	return cat ? cat : CAT_OTHER;
}

/* READ KEYS: the generation and every registered key (SPC-4 §6.15.2). */
static void pr_print_keys(const uint8_t *buf, int got)
{
	uint32_t gen = be32(buf), alen = be32(buf + 4);
	unsigned n = alen / 8;
	if (8 + n * 8 > (unsigned)got)
		n = ((unsigned)got - 8) / 8;
	if (!n)
		printf("  PR generation=0x%x, there are NO registered reservation keys\n", gen);
	else
		printf("  PR generation=0x%x, %u registered reservation key%s follow%s:\n", gen, n,
		       n == 1 ? "" : "s", n == 1 ? "s" : "");
	for (unsigned k = 0; k < n; k++)
		printf("    0x%llx\n", (unsigned long long)be64(buf + 8 + 8 * k));
}

/* READ RESERVATION: the holder's key, scope and type (SPC-4 §6.15.3). */
static void pr_print_reservation(const uint8_t *buf, int got)
{
	uint32_t gen = be32(buf), alen = be32(buf + 4);
	if (alen < 16 || got < 24) {
		printf("  PR generation=0x%x, there is NO reservation held\n", gen);
		return;
	}
	printf("  PR generation=0x%x, Reservation follows:\n", gen);
	printf("    Key=0x%llx\n", (unsigned long long)be64(buf + 8));
	printf("    scope: %s,  type: %s\n", pr_scope_text(buf[21] >> 4), pr_type_text(buf[21] & 0xf));
}

/* REPORT CAPABILITIES (SPC-4 §6.15.4). */
static void pr_print_capabilities(const uint8_t *buf)
{
	unsigned mask = be16(buf + 4);
	printf("Report capabilities response:\n");
	printf("  Replace Lost Reservation Capable(RLR_C): %u\n", buf[2] >> 7 & 1);
	printf("  Compatible Reservation Handling(CRH): %u\n", buf[2] >> 4 & 1);
	printf("  Specify Initiator Ports Capable(SIP_C): %u\n", buf[2] >> 3 & 1);
	printf("  All Target Ports Capable(ATP_C): %u\n", buf[2] >> 2 & 1);
	printf("  Persist Through Power Loss Capable(PTPL_C): %u\n", buf[2] & 1);
	printf("  Type Mask Valid(TMV): %u\n", buf[3] >> 7 & 1);
	printf("  Allow Commands: %u\n", buf[3] >> 4 & 7);
	printf("  Persist Through Power Loss Active(PTPL_A): %u\n", buf[3] & 1);
	if (buf[3] & 0x80) {
		printf("    Support indicated in Type mask:\n");
		printf("      Write Exclusive, all registrants: %u\n", mask >> 7 & 1);
		printf("      Exclusive Access, registrants only: %u\n", mask >> 6 & 1);
		printf("      Write Exclusive, registrants only: %u\n", mask >> 5 & 1);
		printf("      Exclusive Access: %u\n", mask >> 3 & 1);
		printf("      Write Exclusive: %u\n", mask >> 1 & 1);
		printf("      Exclusive Access, all registrants: %u\n", mask >> 8 & 1);
	}
}

/* READ FULL STATUS: one descriptor per registration (SPC-4 §6.15.5). */
static void pr_print_full_status(const uint8_t *buf, int got)
{
	uint32_t gen = be32(buf), alen = be32(buf + 4);
	printf("  PR generation=0x%x\n", gen);
	unsigned off = 8, end = 8 + alen < (unsigned)got ? 8 + alen : (unsigned)got;
	while (off + 24 <= end) {
		const uint8_t *d = buf + off;
		printf("    Key=0x%llx\n", (unsigned long long)be64(d));
		printf("      All target ports bit clear\n");
		printf("      Relative port address: 0x%x\n", (unsigned)be16(d + 18));
		if (d[12] & 1)
			printf("      << Reservation holder >>\n      scope: %s,  type: %s\n",
			       pr_scope_text(d[13] >> 4), pr_type_text(d[13] & 0xf));
		else
			printf("      not reservation holder\n");
		off += 24 + be32(d + 20);
	}
}

/* sg_persist's report; the exit status. */
static int pr_print(const struct pr_opts *o, int fd, const struct pr_result *r)
{
	if (r->err || sg_category(&r->h) != CAT_CLEAN)
		return pr_failed(o, fd, r);
	if (o->out)
		return CAT_CLEAN;
	switch (o->in_sa) {
	case 0: pr_print_keys(r->data, r->got); break;
	case 1: pr_print_reservation(r->data, r->got); break;
	case 2: pr_print_capabilities(r->data); break;
	default: pr_print_full_status(r->data, r->got); break;
	}
	return CAT_CLEAN;
}

int cmd_sg_persist(int argc, char **argv)
{
	struct pr_opts o;
	int status = pr_parse(argc, argv, &o);
	if (status)
		return status;
	int fd = sg_open("sg_persist", o.path, o.out && !o.readonly);
	if (fd < 0)
		return CAT_FILE_ERROR;
	if (!o.no_inquiry)
		pr_print_identity(fd, o.path);
	struct pr_result r;
	pr_execute(&o, fd, &r);
	status = pr_print(&o, fd, &r);
	close(fd);
	return status;
}

/* ---- sg_policy -------------------------------------------------------------------------- */

#define POLICY_LIST_MAX 64

/* The policy, then the administrator's entries in the order the driver
 * checks them. */
static void policy_show(const char *path, struct vscsi_lun *lun)
{
	printf("%s: %s\n", path,
	       vscsi_sg_get_policy(lun) == VSCSI_SG_UNFILTERED ? "unfiltered" : "filtered");
	struct vscsi_sg_filter_entry e[POLICY_LIST_MAX];
	int n = vscsi_sg_filter_list(lun, e, POLICY_LIST_MAX);
	for (int i = 0; i < n && i < POLICY_LIST_MAX; i++) {
		const char *name = scsi_opcode_name(e[i].opcode);
		if (e[i].service_action != VSCSI_SG_ANY_SA)
			printf("  %s 0x%02x/0x%02x (%s)\n", e[i].allow ? "allow" : "deny", e[i].opcode,
			       (unsigned)e[i].service_action, name ? name : "unknown");
		else
			printf("  %s 0x%02x (%s)\n", e[i].allow ? "allow" : "deny", e[i].opcode,
			       name ? name : "unknown");
	}
	if (n > POLICY_LIST_MAX)
		printf("  ... and %d more entries\n", n - POLICY_LIST_MAX);
}

/* "0x5f", "5f", "0x5f/0x01", "5f/1": opcode and optional service action. */
static bool parse_opcode(const char *s, uint8_t *op, int *sa)
{
	char buf[32];
	if (strlen(s) >= sizeof buf)
		return false;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	*sa = VSCSI_SG_ANY_SA;
	if (slash)
		*slash++ = 0;
	uint64_t v;
	if (!parse_number(buf, &sg_hex_syntax, &v) || v > 0xff)
		return false;
	*op = (uint8_t)v;
	if (slash) {
		if (!parse_number(slash, &sg_hex_syntax, &v) || v > 0x1f)
			return false;
		*sa = (int)v;
	}
	return true;
}

/* One word of the command: a policy, "clear", or an allow/deny entry (which
 * takes the next word).  0 done, a negative VSCSI_E* from the driver, or a
 * positive exit status after printing why. */
static int policy_word(struct vscsi_lun *lun, int argc, char **argv, int *i)
{
	const char *w = argv[*i];
	if (!strcmp(w, "filtered"))
		return vscsi_sg_set_policy(lun, VSCSI_SG_FILTERED);
	if (!strcmp(w, "unfiltered"))
		return vscsi_sg_set_policy(lun, VSCSI_SG_UNFILTERED);
	if (!strcmp(w, "clear")) {
		vscsi_sg_filter_clear(lun);
		return 0;
	}
	if (strcmp(w, "allow") && strcmp(w, "deny")) {
		printf("sg_policy: unknown word '%s' (filtered, unfiltered, allow OPCODE[/SA], "
		       "deny OPCODE[/SA], clear)\n", w);
		return 2;
	}
	uint8_t op;
	int sa;
	if (*i + 1 >= argc) {
		printf("sg_policy: '%s' needs an OPCODE[/SA] (hex, e.g. 0x5f or 0x5f/0x01)\n", w);
		return 2;
	}
	if (!parse_opcode(argv[++*i], &op, &sa)) {
		printf("sg_policy: invalid opcode '%s' (hex, e.g. 0x5f or 0x5f/0x01)\n", argv[*i]);
		return 2;
	}
	return vscsi_sg_filter_add(lun, op, sa, w[0] == 'a');
}

int cmd_sg_policy(int argc, char **argv)
{
	if (argc < 2)
		return shell_usage(argv[0]);
	const char *path = argv[1];
	struct vscsi_lun *lun = blkdev_lun_by_name(path);
	if (!lun) {
		printf("sg_policy: %s: %s\n", path, blkdev_strerror(ENOENT));
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		const char *w = argv[i];
		int r = policy_word(lun, argc, argv, &i);
		if (r > 0)
			return r;
		if (r < 0) {
			printf("sg_policy: %s: %s: %s\n", path, w, blkdev_strerror(blkdev_errno(r)));
			return 1;
		}
	}
	policy_show(path, lun);
	return 0;
}
