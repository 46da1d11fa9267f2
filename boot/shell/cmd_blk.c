/*
 * cmd_blk.c - shell tools on block device files: dd, md5sum, hexdump,
 * sync, eject, blockdev.
 *
 * They are ordinary C programs on newlib's open/read/write/lseek/ioctl
 * (the device files of blkdev.c), with the syntax and output of their
 * coreutils / util-linux namesakes so the same eyes read both:
 *   dd       "N+M records in", "N+M records out",
 *            "X bytes (A MB, B MiB) copied, T s, R MB/s"
 *   md5sum   "<32 hex digits>  /dev/sda"
 *   hexdump  -C canonical lines, "*" for repeated lines, final offset
 * Every failure prints "tool: what: why" and returns a non-zero status.
 * The long-running ones (dd, md5sum, hexdump) look for Ctrl-C between
 * chunks and stop with status 130 once the chunk in progress is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/blkdev.h"
#include "fs/console.h"
#include "fs/devfs.h"
#include "kernel/clock.h"
#include "shell/args.h"
#include "shell/buffer.h"
#include "shell/commands.h"
#include "shell/md5.h"

#undef errno
extern int errno;

/* Tools read and hash in chunks of this size: bounded memory whatever the
 * device size (the heap is 32 MiB, the guest 256 MiB). */
#define CHUNK (1u << 20)

/* Open a device file for a tool, completing the registry first. */
static int open_dev(const char *path, int flags)
{
	blkdev_init();
	return open(path, flags);
}

/* ---- human-readable numbers (coreutils style) ---------------------------- */

/*
 * "1.0 MB", "105 MB", "100 MiB": autoscaled, one decimal below 10, rounded
 * to nearest.  `suffix` follows the unit ("B" or "B/s").  Returns false
 * when the value has no prefix (below the base).
 */
static bool human(uint64_t v, bool si, const char *suffix, char *out, size_t n)
{
	static const char *prefix_si[] = { "", "k", "M", "G", "T", "P", "E" };
	static const char *prefix_iec[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	const unsigned base = si ? 1000 : 1024;
	const char **prefix = si ? prefix_si : prefix_iec;
	unsigned i = 0;
	unsigned __int128 div = 1;
	while (i < 6 && (unsigned __int128)v >= div * base)
		div *= base, i++;
	if (i == 0) {
		snprintf(out, n, "%llu %s", (unsigned long long)v, suffix);
		return false;
	}
	/* tenths, rounded to nearest */
	uint64_t tenths = (uint64_t)(((unsigned __int128)v * 10 + div / 2) / div);
	if (tenths < 100) {
		snprintf(out, n, "%llu.%llu %s%s", (unsigned long long)(tenths / 10),
			 (unsigned long long)(tenths % 10), prefix[i], suffix);
		return true;
	}
	uint64_t whole = (uint64_t)(((unsigned __int128)v + div / 2) / div);
	if (whole >= base && i < 6) {
		/* 999.6 kB rounds up into the next unit: "1.0 MB" */
		snprintf(out, n, "1.0 %s%s", prefix[i + 1], suffix);
		return true;
	}
	snprintf(out, n, "%llu %s%s", (unsigned long long)whole, prefix[i], suffix);
	return true;
}

/* Seconds as printf's %g would print them (6 significant digits). */
static void seconds_g(uint64_t ns, char *out, size_t n)
{
	if (ns == 0) {
		snprintf(out, n, "0");
		return;
	}
	/* Find the decimal exponent of ns/1e9, then keep 6 significant digits. */
	int e = -9;
	for (uint64_t t = ns; t >= 10; t /= 10)
		e++;
	if (e < -4 || e >= 6) {
		/* scientific: d.ddddde-XX (only for tiny or huge times) */
		uint64_t p = 1;
		for (int k = 0; k < e + 9 - 5; k++)
			p *= 10;
		uint64_t m = e + 9 >= 5 ? (ns + p / 2) / p : ns;
		for (int k = e + 9; k < 5; k++)
			m *= 10;
		char d[8];
		snprintf(d, sizeof d, "%06llu", (unsigned long long)m);
		int last = 5;
		while (last > 0 && d[last] == '0')
			last--;
		snprintf(out, n, "%c%s%.*se%c%02d", d[0], last ? "." : "", last, d + 1,
			 e < 0 ? '-' : '+', e < 0 ? -e : e);
		return;
	}
	int decimals = 5 - e;          /* digits after the point */
	if (decimals > 9)
		decimals = 9;
	uint64_t unit = 1;
	for (int k = 0; k < 9 - decimals; k++)
		unit *= 10;
	uint64_t scaled = (ns + unit / 2) / unit; /* seconds * 10^decimals */
	uint64_t p10 = 1;
	for (int k = 0; k < decimals; k++)
		p10 *= 10;
	char frac[16];
	snprintf(frac, sizeof frac, "%0*llu", decimals, (unsigned long long)(scaled % p10));
	int len = decimals;
	while (len > 0 && frac[len - 1] == '0')
		len--;
	frac[len] = 0;
	snprintf(out, n, "%llu%s%s", (unsigned long long)(scaled / p10), len ? "." : "", frac);
}

/* ---- dd ------------------------------------------------------------------- */

/*
 * dd's numbers, as coreutils reads them: decimal digits with an optional
 * multiplier suffix, and products with 'x' ("2x512").  Suffixes: c 1, w 2,
 * b 512, kB 1000, K/k/KiB 1024, MB, M/MiB, GB, G/GiB, TB, T/TiB (the longer
 * ones first: the first suffix the rest starts with is taken).
 */
static const struct number_suffix dd_suffixes[] = {
	{ "KiB", 1ull << 10 }, { "MiB", 1ull << 20 }, { "GiB", 1ull << 30 },
	{ "TiB", 1ull << 40 }, { "kB", 1000 }, { "KB", 1000 }, { "MB", 1000000 },
	{ "GB", 1000000000 }, { "TB", 1000000000000ull }, { "c", 1 }, { "w", 2 },
	{ "b", 512 }, { "K", 1ull << 10 }, { "k", 1ull << 10 }, { "M", 1ull << 20 },
	{ "G", 1ull << 30 }, { "T", 1ull << 40 },
};

static const struct number_syntax dd_number_syntax = {
	.products = true,
	.suffixes = dd_suffixes,
	.n_suffixes = sizeof dd_suffixes / sizeof dd_suffixes[0],
};

/* The operands, parsed. */
struct dd_opts {
	const char *in, *out;
	uint64_t ibs, obs;
	uint64_t count, skip, seek;
	bool count_set;
	bool conv_fsync, conv_sync, conv_noerror;
	bool iflag_direct, oflag_direct, skip_bytes, count_bytes, seek_bytes, fullblock;
	bool oflag_sync; /* oflag=sync|dsync: each write durable before it returns (O_SYNC) */
	int status; /* 0 default, 1 noxfer, 2 none */
};

/* What went wrong, in the order dd meets it. */
enum dd_failure {
	DD_DONE,
	DD_OPEN_IN, DD_OPEN_OUT,          /* nothing copied, no statistics */
	DD_NO_IN_BUFFER, DD_NO_OUT_BUFFER,
	DD_SKIP_RANGE, DD_SEEK_RANGE,     /* skip=/seek= beyond any offset */
	DD_SKIP, DD_SEEK,                 /* the lseek failed: statistics of nothing */
	DD_READ, DD_WRITE, DD_FSYNC,      /* during or after the copy */
	DD_INTERRUPTED,                   /* Ctrl-C between two blocks */
};

/* What a run did: dd_execute fills it, dd_report prints it. */
struct dd_result {
	enum dd_failure failure;
	int err;                          /* errno of the failure */
	int close_err;                    /* errno of closing the output, or 0 */
	uint64_t full_in, part_in, full_out, part_out, bytes, ns;
};

/* ---- dd: parse ---- */

static bool dd_key(const char *arg, size_t kl, const char *key)
{
	return kl == strlen(key) && !strncmp(arg, key, kl);
}

/* Comma-separated flag words: every word must be one of `names`. */
static bool dd_flags(const char *cmd, const char *what, const char *list, const char *const *names,
		     bool *const *targets, size_t n)
{
	char word[32];
	while (*list) {
		size_t l = strcspn(list, ",");
		if (l == 0 || l >= sizeof word) {
			printf("%s: invalid %s: '%.*s'\n", cmd, what, (int)l, list);
			return false;
		}
		memcpy(word, list, l);
		word[l] = 0;
		size_t i;
		for (i = 0; i < n; i++)
			if (!strcmp(word, names[i])) {
				if (targets[i])
					*targets[i] = true;
				break;
			}
		if (i == n) {
			printf("%s: invalid %s: '%s'\n", cmd, what, word);
			return false;
		}
		list += l;
		if (*list == ',')
			list++;
	}
	return true;
}

static bool dd_status_level(struct dd_opts *o, const char *v)
{
	if (!strcmp(v, "none"))
		o->status = 2;
	else if (!strcmp(v, "noxfer"))
		o->status = 1;
	else if (!strcmp(v, "progress"))
		o->status = 0;
	else {
		printf("dd: invalid status level: '%s'\n", v);
		return false;
	}
	return true;
}

/* The operands whose value is a name or words: 0 taken, 1 bad value
 * (printed), -1 when KEY is none of them. */
static int dd_word_operand(struct dd_opts *o, const char *arg, size_t kl, const char *v)
{
	if (dd_key(arg, kl, "if")) {
		o->in = v;
	} else if (dd_key(arg, kl, "of")) {
		o->out = v;
	} else if (dd_key(arg, kl, "conv")) {
		static const char *const names[] = { "fsync", "fdatasync", "notrunc", "sync", "noerror" };
		bool *t[] = { &o->conv_fsync, &o->conv_fsync, NULL, &o->conv_sync, &o->conv_noerror };
		return dd_flags("dd", "conversion", v, names, t, 5) ? 0 : 1;
	} else if (dd_key(arg, kl, "iflag")) {
		static const char *const names[] = { "direct", "skip_bytes", "count_bytes",
						     "fullblock", "sync", "dsync" };
		bool *t[] = { &o->iflag_direct, &o->skip_bytes, &o->count_bytes, &o->fullblock,
			      NULL, NULL };
		return dd_flags("dd", "input flag", v, names, t, 6) ? 0 : 1;
	} else if (dd_key(arg, kl, "oflag")) {
		static const char *const names[] = { "direct", "seek_bytes", "sync", "dsync" };
		bool *t[] = { &o->oflag_direct, &o->seek_bytes, &o->oflag_sync, &o->oflag_sync };
		return dd_flags("dd", "output flag", v, names, t, 4) ? 0 : 1;
	} else if (dd_key(arg, kl, "status")) {
		return dd_status_level(o, v) ? 0 : 1;
	} else {
		return -1;
	}
	return 0;
}

/* Block sizes seen so far: bs= sets ibs and obs unless they are given. */
struct dd_sizes {
	uint64_t bs;
	bool ibs_set, obs_set;
};

/* The number KEY= sets, or NULL when KEY takes none; *is_size when it is
 * a block size (which must not be 0). */
static uint64_t *dd_number_operand(struct dd_opts *o, struct dd_sizes *sz, const char *arg,
				   size_t kl, bool *is_size)
{
	*is_size = true;
	if (dd_key(arg, kl, "bs"))
		return &sz->bs;
	if (dd_key(arg, kl, "ibs"))
		return sz->ibs_set = true, &o->ibs;
	if (dd_key(arg, kl, "obs"))
		return sz->obs_set = true, &o->obs;
	*is_size = false;
	if (dd_key(arg, kl, "count"))
		return o->count_set = true, &o->count;
	if (dd_key(arg, kl, "skip") || dd_key(arg, kl, "iseek"))
		return &o->skip;
	if (dd_key(arg, kl, "seek") || dd_key(arg, kl, "oseek"))
		return &o->seek;
	return NULL;
}

static int dd_parse(int argc, char **argv, struct dd_opts *o)
{
	struct dd_sizes sz = { 0 };
	memset(o, 0, sizeof *o);
	o->ibs = o->obs = 512;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '=');
		if (!eq || eq == arg) {
			printf("dd: unrecognized operand '%s'\n", arg);
			return 1;
		}
		size_t kl = (size_t)(eq - arg);
		int r = dd_word_operand(o, arg, kl, eq + 1);
		if (r >= 0) {
			if (r)
				return 1;
			continue;
		}
		bool is_size;
		uint64_t *num = dd_number_operand(o, &sz, arg, kl, &is_size);
		if (!num) {
			printf("dd: unrecognized operand '%s'\n", arg);
			return 1;
		}
		if (!parse_number(eq + 1, &dd_number_syntax, num) || (is_size && *num == 0)) {
			printf("dd: invalid number: '%s'\n", eq + 1);
			return 1;
		}
	}
	if (sz.bs) {
		if (!sz.ibs_set)
			o->ibs = sz.bs;
		if (!sz.obs_set)
			o->obs = sz.bs;
	}
	if (!o->in || !o->out) {
		printf("dd: %s= is required (there is no standard %s here; /dev/zero and "
		       "/dev/null exist)\n", o->in ? "of" : "if", o->in ? "output" : "input");
		return 1;
	}
	return 0;
}

/* ---- dd: execute ---- */

/* A run in progress. */
struct dd_copy {
	const struct dd_opts *o;
	struct dd_result *r;
	int in, out;
	struct io_buffer ib, ob;
	bool reblock;          /* ibs != obs: output gathered into ob */
	size_t pending;        /* bytes staged in ob */
};

static bool dd_fail(struct dd_copy *c, enum dd_failure f, int err)
{
	c->r->failure = f;
	c->r->err = err;
	return false;
}

static bool dd_open(struct dd_copy *c)
{
	const struct dd_opts *o = c->o;
	c->in = open_dev(o->in, O_RDONLY | (o->iflag_direct ? O_DIRECT : 0));
	if (c->in < 0)
		return dd_fail(c, DD_OPEN_IN, errno);
	c->out = open_dev(o->out, O_WRONLY | (o->oflag_direct ? O_DIRECT : 0) |
				  (o->oflag_sync ? O_SYNC : 0));
	if (c->out < 0)
		return dd_fail(c, DD_OPEN_OUT, errno);
	return true;
}

static bool dd_buffers(struct dd_copy *c)
{
	const struct dd_opts *o = c->o;
	c->reblock = o->ibs != o->obs;
	if (o->ibs > SIZE_MAX / 2 || !io_buffer_alloc(&c->ib, (size_t)o->ibs))
		return dd_fail(c, DD_NO_IN_BUFFER, ENOMEM);
	if (c->reblock && (o->obs > SIZE_MAX / 2 || !io_buffer_alloc(&c->ob, (size_t)o->obs)))
		return dd_fail(c, DD_NO_OUT_BUFFER, ENOMEM);
	return true;
}

/* skip= and seek= count blocks of ibs / obs unless *_bytes; both are plain
 * lseeks, which fail past the end of a device (EINVAL). */
static bool dd_position(struct dd_copy *c)
{
	const struct dd_opts *o = c->o;
	uint64_t skip = o->skip_bytes ? o->skip : o->skip * o->ibs;
	uint64_t seek = o->seek_bytes ? o->seek : o->seek * o->obs;
	if ((!o->skip_bytes && o->skip && skip / o->ibs != o->skip) || skip > INT64_MAX)
		return dd_fail(c, DD_SKIP_RANGE, EOVERFLOW);
	if ((!o->seek_bytes && o->seek && seek / o->obs != o->seek) || seek > INT64_MAX)
		return dd_fail(c, DD_SEEK_RANGE, EOVERFLOW);
	if (skip && lseek(c->in, (off_t)skip, SEEK_SET) < 0)
		return dd_fail(c, DD_SKIP, errno);
	if (seek && lseek(c->out, (off_t)seek, SEEK_SET) < 0)
		return dd_fail(c, DD_SEEK, errno);
	return true;
}

/* Write all of buf; returns 0 or -errno. */
static int write_all(int fd, const uint8_t *buf, size_t len, uint64_t *done)
{
	while (len) {
		long r = write(fd, buf, len);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENOSPC;
		buf += r;
		len -= (size_t)r;
		*done += (uint64_t)r;
	}
	return 0;
}

/* One output block, counted as full or partial; a block cut short by an
 * error counts as partial when part of it was written. */
static bool dd_write_block(struct dd_copy *c, const void *p, size_t len, bool full)
{
	uint64_t done = 0;
	int err = write_all(c->out, p, len, &done);
	c->r->bytes += done;
	if (err) {
		if (done)
			c->r->part_out++;
		return dd_fail(c, DD_WRITE, -err);
	}
	if (full)
		c->r->full_out++;
	else
		c->r->part_out++;
	return true;
}

/* The next input block (whole, with iflag=fullblock): its length, 0 at
 * the end of the input, or -1 after a read error. */
static long dd_read_block(struct dd_copy *c, size_t want)
{
	long n = read(c->in, c->ib.p, want);
	if (n > 0 && c->o->fullblock)
		while ((size_t)n < want) {
			long m = read(c->in, (uint8_t *)c->ib.p + n, want - (size_t)n);
			if (m <= 0)
				break;
			n += m;
		}
	if (n < 0)
		dd_fail(c, DD_READ, errno);
	return n;
}

/* `have` bytes of the input block to the output: as one block when
 * ibs == obs, else gathered into obs-sized blocks. */
static bool dd_output(struct dd_copy *c, size_t have)
{
	const uint64_t obs = c->o->obs;
	if (!c->reblock)
		return dd_write_block(c, c->ib.p, have, have == obs);
	const uint8_t *src = c->ib.p;
	while (have) {
		size_t take = (size_t)obs - c->pending;
		if (take > have)
			take = have;
		memcpy((uint8_t *)c->ob.p + c->pending, src, take);
		c->pending += take;
		src += take;
		have -= take;
		if (c->pending == obs) {
			c->pending = 0;
			if (!dd_write_block(c, c->ob.p, (size_t)obs, true))
				return false;
		}
	}
	return true;
}

/* Copy block by block until the input ends, count= is reached or an
 * error; then the last partial output block and conv=fsync. */
static void dd_copy_blocks(struct dd_copy *c)
{
	const struct dd_opts *o = c->o;
	struct dd_result *r = c->r;
	uint64_t left = o->count_bytes ? o->count : 0; /* bytes, with count_bytes */
	for (;;) {
		if (console_interrupted()) {
			dd_fail(c, DD_INTERRUPTED, EINTR);
			break;
		}
		if (o->count_set && !o->count_bytes && r->full_in + r->part_in >= o->count)
			break;
		if (o->count_set && o->count_bytes && !left)
			break;
		size_t want = (size_t)o->ibs;
		if (o->count_bytes && left < want)
			want = (size_t)left;
		long n = dd_read_block(c, want);
		if (n <= 0)
			break;
		if ((uint64_t)n == o->ibs)
			r->full_in++;
		else
			r->part_in++;
		if (o->count_bytes)
			left -= (uint64_t)n;
		size_t have = (size_t)n;
		if (o->conv_sync && have < o->ibs) {
			memset((uint8_t *)c->ib.p + have, 0, (size_t)o->ibs - have);
			have = (size_t)o->ibs;
		}
		if (!dd_output(c, have))
			break;
	}
	if (r->failure == DD_DONE && c->pending)
		dd_write_block(c, c->ob.p, c->pending, false);
	if (r->failure == DD_DONE && o->conv_fsync && ioctl(c->out, BLKFLSBUF, NULL) < 0 &&
	    errno != ENOTTY)
		dd_fail(c, DD_FSYNC, errno);
}

static void dd_execute(const struct dd_opts *o, struct dd_result *r)
{
	memset(r, 0, sizeof *r);
	struct dd_copy c = { .o = o, .r = r, .in = -1, .out = -1 };
	if (dd_open(&c) && dd_buffers(&c)) {
		uint64_t t0 = clock_ns();
		if (dd_position(&c))
			dd_copy_blocks(&c);
		r->ns = clock_ns() - t0;
	}
	io_buffer_free(&c.ib);
	io_buffer_free(&c.ob);
	if (c.in >= 0)
		close(c.in);
	if (c.out >= 0 && close(c.out) < 0)
		r->close_err = errno;
}

/* ---- dd: print ---- */

static bool dd_has_statistics(enum dd_failure f)
{
	return f == DD_DONE || f >= DD_SKIP;
}

/* "N+M records in/out" and "X bytes (A MB, B MiB) copied, T s, R MB/s". */
static void dd_stats(const struct dd_opts *o, const struct dd_result *r)
{
	if (o->status == 2)
		return;
	printf("%llu+%llu records in\n%llu+%llu records out\n", (unsigned long long)r->full_in,
	       (unsigned long long)r->part_in, (unsigned long long)r->full_out,
	       (unsigned long long)r->part_out);
	if (o->status == 1)
		return;
	char si[32], iec[32], secs[32], rate[32];
	uint64_t bytes = r->bytes, ns = r->ns;
	bool has_si = human(bytes, true, "B", si, sizeof si);
	bool has_iec = human(bytes, false, "B", iec, sizeof iec);
	seconds_g(ns, secs, sizeof secs);
	if (!bytes)
		snprintf(rate, sizeof rate, "0.0 kB/s"); /* as coreutils prints it */
	else if (ns)
		human((uint64_t)((unsigned __int128)bytes * 1000000000u / ns), true, "B/s", rate,
		      sizeof rate);
	else
		snprintf(rate, sizeof rate, "Infinity B/s");
	if (!has_si)
		printf("%llu byte%s copied, %s s, %s\n", (unsigned long long)bytes,
		       bytes == 1 ? "" : "s", secs, rate);
	else if (!has_iec)
		printf("%llu bytes (%s) copied, %s s, %s\n", (unsigned long long)bytes, si, secs,
		       rate);
	else
		printf("%llu bytes (%s, %s) copied, %s s, %s\n", (unsigned long long)bytes, si, iec,
		       secs, rate);
}

/* The failure in coreutils' words, then the statistics; the exit status. */
static int dd_report(const struct dd_opts *o, const struct dd_result *r)
{
	const char *why = blkdev_strerror(r->err);
	switch (r->failure) {
	case DD_DONE: break;
	case DD_OPEN_IN: printf("dd: failed to open '%s': %s\n", o->in, why); break;
	case DD_OPEN_OUT: printf("dd: failed to open '%s': %s\n", o->out, why); break;
	case DD_NO_IN_BUFFER:
		printf("dd: memory exhausted by input buffer of size %llu bytes\n",
		       (unsigned long long)o->ibs);
		break;
	case DD_NO_OUT_BUFFER:
		printf("dd: memory exhausted by output buffer of size %llu bytes\n",
		       (unsigned long long)o->obs);
		break;
	case DD_SKIP_RANGE:
	case DD_SKIP: printf("dd: '%s': cannot skip: %s\n", o->in, why); break;
	case DD_SEEK_RANGE:
	case DD_SEEK: printf("dd: '%s': cannot seek: %s\n", o->out, why); break;
	case DD_READ: printf("dd: error reading '%s': %s\n", o->in, why); break;
	case DD_WRITE: printf("dd: error writing '%s': %s\n", o->out, why); break;
	case DD_FSYNC: printf("dd: fsync failed for '%s': %s\n", o->out, why); break;
	case DD_INTERRUPTED: break; /* as coreutils on SIGINT: the statistics only */
	}
	if (dd_has_statistics(r->failure))
		dd_stats(o, r);
	if (r->failure == DD_INTERRUPTED)
		return CONSOLE_INTERRUPTED_STATUS;
	if (r->failure != DD_DONE)
		return 1;
	if (r->close_err) {
		printf("dd: closing output file '%s': %s\n", o->out, blkdev_strerror(r->close_err));
		return 1;
	}
	return 0;
}

int cmd_dd(int argc, char **argv)
{
	struct dd_opts o;
	struct dd_result r;
	if (argc < 2)
		return shell_usage(argv[0]);
	if (dd_parse(argc, argv, &o))
		return 1;
	dd_execute(&o, &r);
	return dd_report(&o, &r);
}

/* ---- md5sum ---------------------------------------------------------------- */

int cmd_md5sum(int argc, char **argv)
{
	if (argc < 2)
		return shell_usage(argv[0]);
	struct io_buffer b;
	if (!io_buffer_alloc(&b, CHUNK)) {
		printf("md5sum: out of memory\n");
		return 1;
	}
	int status = 0;
	for (int i = 1; i < argc && status != CONSOLE_INTERRUPTED_STATUS; i++) {
		int fd = open_dev(argv[i], O_RDONLY);
		if (fd < 0) {
			printf("md5sum: %s: %s\n", argv[i], blkdev_strerror(errno));
			status = 1;
			continue;
		}
		struct md5_ctx c;
		md5_init(&c);
		long n = 0;
		while (!console_interrupted() && (n = read(fd, b.p, b.size)) > 0)
			md5_update(&c, b.p, (size_t)n);
		if (console_interrupted()) {
			status = CONSOLE_INTERRUPTED_STATUS;
			close(fd);
			continue;
		}
		if (n < 0) {
			printf("md5sum: %s: %s\n", argv[i], blkdev_strerror(errno));
			status = 1;
			close(fd);
			continue;
		}
		close(fd);
		uint8_t d[16];
		md5_final(&c, d);
		for (int k = 0; k < 16; k++)
			printf("%02x", d[k]);
		printf("  %s\n", argv[i]);
	}
	io_buffer_free(&b);
	return status;
}

/* ---- hexdump ---------------------------------------------------------------- */

/* util-linux hexdump -C: "%08x  xx xx ... xx  xx ... xx  |ascii|" */
static void hex_line_canonical(uint64_t off, const uint8_t *p, size_t n)
{
	char line[96];
	int o = snprintf(line, sizeof line, "%08llx ", (unsigned long long)off);
	for (size_t i = 0; i < 16; i++) {
		if (i == 8)
			line[o++] = ' ';
		if (i < n)
			o += snprintf(line + o, sizeof line - (size_t)o, " %02x", p[i]);
		else
			o += snprintf(line + o, sizeof line - (size_t)o, "   ");
	}
	o += snprintf(line + o, sizeof line - (size_t)o, "  |");
	for (size_t i = 0; i < n; i++)
		line[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	snprintf(line + o, sizeof line - (size_t)o, "|");
	printf("%s\n", line);
}

/* util-linux hexdump's default: "%07x" then eight 16-bit words, little endian. */
static void hex_line_words(uint64_t off, const uint8_t *p, size_t n)
{
	printf("%07llx", (unsigned long long)off);
	for (size_t i = 0; i < n; i += 2)
		printf(" %04x", p[i] | (i + 1 < n ? p[i + 1] << 8 : 0));
	printf("\n");
}

int cmd_hexdump(int argc, char **argv)
{
	bool canonical = false, verbose = false;
	uint64_t skip = 0, length = UINT64_MAX;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-C") || !strcmp(a, "--canonical"))
			canonical = true;
		else if (!strcmp(a, "-v") || !strcmp(a, "--no-squeezing"))
			verbose = true;
		else if (!strcmp(a, "-s") || !strcmp(a, "-n") || !strcmp(a, "--skip") ||
			 !strcmp(a, "--length")) {
			if (i + 1 >= argc) {
				printf("hexdump: option '%s' requires an argument\n", a);
				return shell_usage(argv[0]);
			}
			unsigned long long v;
			if (!shell_parse_u64(argv[0], argv[++i], &v))
				return 1;
			if (a[1] == 's' || a[2] == 's')
				skip = v;
			else
				length = v;
		} else if (a[0] == '-' && a[1]) {
			printf("hexdump: invalid option '%s'\n", a);
			return shell_usage(argv[0]);
		} else if (path) {
			printf("hexdump: only one file at a time here\n");
			return shell_usage(argv[0]);
		} else {
			path = a;
		}
	}
	if (!path)
		return shell_usage(argv[0]);
	int fd = open_dev(path, O_RDONLY);
	if (fd < 0) {
		printf("hexdump: %s: %s\n", path, blkdev_strerror(errno));
		return 1;
	}
	int status = 0;
	if (skip && lseek(fd, (off_t)skip, SEEK_SET) < 0) {
		printf("hexdump: %s: cannot skip to offset %llu: %s\n", path,
		       (unsigned long long)skip, blkdev_strerror(errno));
		close(fd);
		return 1;
	}
	struct io_buffer b;
	if (!io_buffer_alloc(&b, 64 << 10)) {
		printf("hexdump: out of memory\n");
		close(fd);
		return 1;
	}
	uint8_t prev[16], line[16];
	bool have_prev = false, starred = false;
	size_t fill = 0;
	uint64_t off = skip, left = length;
	for (;;) {
		size_t want = b.size;
		if (left < want)
			want = (size_t)left;
		if (!want)
			break;
		if (console_interrupted()) {
			status = CONSOLE_INTERRUPTED_STATUS;
			break;
		}
		long n = read(fd, b.p, want);
		if (n < 0) {
			printf("hexdump: %s: %s\n", path, blkdev_strerror(errno));
			status = 1;
			break;
		}
		if (n == 0)
			break;
		left -= (uint64_t)n;
		for (long k = 0; k < n; k++) {
			line[fill++] = ((uint8_t *)b.p)[k];
			if (fill < 16)
				continue;
			if (!verbose && have_prev && !memcmp(prev, line, 16)) {
				if (!starred)
					printf("*\n");
				starred = true;
			} else {
				if (canonical)
					hex_line_canonical(off, line, 16);
				else
					hex_line_words(off, line, 16);
				starred = false;
			}
			memcpy(prev, line, 16);
			have_prev = true;
			off += 16;
			fill = 0;
		}
	}
	if (fill && status != CONSOLE_INTERRUPTED_STATUS) {
		if (canonical)
			hex_line_canonical(off, line, fill);
		else
			hex_line_words(off, line, fill);
		off += fill;
	}
	if (!status)
		printf(canonical ? "%08llx\n" : "%07llx\n", (unsigned long long)off);
	io_buffer_free(&b);
	close(fd);
	return status;
}

/* ---- sync ------------------------------------------------------------------ */

static int sync_one(const char *path, bool quiet_notty)
{
	int fd = open_dev(path, O_RDONLY);
	if (fd < 0) {
		printf("sync: error opening '%s': %s\n", path, blkdev_strerror(errno));
		return 1;
	}
	int r = ioctl(fd, BLKFLSBUF, NULL);
	int e = errno;
	close(fd);
	if (r < 0 && !(quiet_notty && e == ENOTTY)) {
		printf("sync: error syncing '%s': %s\n", path, blkdev_strerror(e));
		return 1;
	}
	return 0;
}

/* sync [FILE...]: SYNCHRONIZE CACHE on the given devices, or on every disk. */
int cmd_sync(int argc, char **argv)
{
	int status = 0;
	blkdev_init();
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			status |= sync_one(argv[i], false);
		return status;
	}
	for (unsigned i = 0; devfs_name(i); i++) {
		char path[48];
		const char *n = devfs_name(i);
		if (strncmp(n, "sd", 2))
			continue;
		snprintf(path, sizeof path, "/dev/%s", n);
		status |= sync_one(path, true);
	}
	return status;
}

/* ---- eject ------------------------------------------------------------------- */

/* eject [-t] [DEVICE]: open the tray (or close it with -t); the default
 * device is the first CD-ROM, as Linux's /dev/cdrom. */
int cmd_eject(int argc, char **argv)
{
	bool close_tray = false, verbose = false;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--trayclose"))
			close_tray = true;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = true;
		else if (argv[i][0] == '-') {
			printf("eject: invalid option '%s'\n", argv[i]);
			return shell_usage(argv[0]);
		} else if (path)
			return shell_usage(argv[0]);
		else
			path = argv[i];
	}
	blkdev_init();
	char def[16];
	if (!path) {
		for (unsigned i = 0; devfs_name(i); i++)
			if (!strncmp(devfs_name(i), "sr", 2)) {
				snprintf(def, sizeof def, "/dev/%s", devfs_name(i));
				path = def;
				break;
			}
		if (!path) {
			printf("eject: unable to find device: no CD-ROM (/dev/sr*)\n");
			return 1;
		}
	}
	if (verbose)
		printf("eject: device name is '%s'\n", path);
	int fd = open_dev(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		printf("eject: %s: %s\n", path, blkdev_strerror(errno));
		return 1;
	}
	if (verbose)
		printf("eject: %s\n", close_tray ? "closing tray" : "trying to eject using CD-ROM eject command");
	int r = ioctl(fd, close_tray ? CDROMCLOSETRAY : CDROMEJECT, NULL);
	int e = errno;
	close(fd);
	if (r < 0) {
		printf("eject: %s: %s failed: %s\n", path, close_tray ? "CD-ROM tray close command" :
		       "CD-ROM eject command", blkdev_strerror(e));
		return 1;
	}
	if (verbose)
		printf("eject: %s\n", close_tray ? "CD-ROM tray close command succeeded" :
		       "CD-ROM eject command succeeded");
	return 0;
}

/* ---- blockdev ---------------------------------------------------------------- */

/* util-linux blockdev's queries: each prints one number per device. */
enum blockdev_query { BD_GETSZ, BD_GETSIZE64, BD_GETSS, BD_GETPBSZ, BD_GETRO, BD_FLUSHBUFS };

static const struct {
	const char *option;
	enum blockdev_query query;
} blockdev_options[] = {
	{ "--getsz", BD_GETSZ },       /* 512-byte sectors (BLKGETSIZE64 / 512) */
	{ "--getsize64", BD_GETSIZE64 }, /* bytes (BLKGETSIZE64) */
	{ "--getss", BD_GETSS },       /* logical block size (BLKSSZGET) */
	{ "--getpbsz", BD_GETPBSZ },   /* physical block size (BLKPBSZGET) */
	{ "--getro", BD_GETRO },       /* 1 if write-protected (BLKROGET) */
	{ "--flushbufs", BD_FLUSHBUFS }, /* SYNCHRONIZE CACHE (BLKFLSBUF) */
};

/* One query on an open device: prints the value; 0, or an errno value. */
static int blockdev_run(int fd, enum blockdev_query q)
{
	uint64_t bytes;
	int v;
	unsigned int u;
	switch (q) {
	case BD_GETSZ:
	case BD_GETSIZE64:
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			return errno;
		printf("%llu\n", (unsigned long long)(q == BD_GETSZ ? bytes / 512 : bytes));
		return 0;
	case BD_GETSS:
	case BD_GETRO:
		if (ioctl(fd, q == BD_GETSS ? BLKSSZGET : BLKROGET, &v) < 0)
			return errno;
		printf("%d\n", v);
		return 0;
	case BD_GETPBSZ:
		if (ioctl(fd, BLKPBSZGET, &u) < 0)
			return errno;
		printf("%u\n", u);
		return 0;
	case BD_FLUSHBUFS:
		return ioctl(fd, BLKFLSBUF, NULL) < 0 ? errno : 0;
	}
	return EINVAL;
}

/* blockdev COMMAND... DEVICE...: every command on every device, in order,
 * as util-linux's blockdev does. */
int cmd_blockdev(int argc, char **argv)
{
	enum blockdev_query queries[16];
	int nq = 0, i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		size_t k, n = sizeof blockdev_options / sizeof blockdev_options[0];
		for (k = 0; k < n && strcmp(argv[i], blockdev_options[k].option); k++)
			;
		if (k == n) {
			printf("blockdev: unrecognized command '%s'\n", argv[i]);
			return shell_usage(argv[0]);
		}
		if (nq == (int)(sizeof queries / sizeof queries[0])) {
			printf("blockdev: too many commands\n");
			return 1;
		}
		queries[nq++] = blockdev_options[k].query;
	}
	if (!nq || i == argc)
		return shell_usage(argv[0]);
	int status = 0;
	for (; i < argc; i++) {
		int fd = open_dev(argv[i], O_RDONLY | O_NONBLOCK);
		if (fd < 0) {
			printf("blockdev: cannot open %s: %s\n", argv[i], blkdev_strerror(errno));
			status = 1;
			continue;
		}
		for (int k = 0; k < nq; k++) {
			int err = blockdev_run(fd, queries[k]);
			if (err) {
				printf("blockdev: ioctl error on %s: %s\n", argv[i], blkdev_strerror(err));
				status = 1;
				break;
			}
		}
		close(fd);
	}
	return status;
}
