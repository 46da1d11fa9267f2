/*
 * cmd_blk.c - shell tools on block device files: dd, md5sum, hexdump,
 * sync, eject.
 *
 * They are ordinary C programs on newlib's open/read/write/lseek/ioctl
 * (the device files of blkdev.c), with the syntax and output of their
 * coreutils / util-linux namesakes so the same eyes read both:
 *   dd       "N+M records in", "N+M records out",
 *            "X bytes (A MB, B MiB) copied, T s, R MB/s"
 *   md5sum   "<32 hex digits>  /dev/sda"
 *   hexdump  -C canonical lines, "*" for repeated lines, final offset
 * Every failure prints "tool: what: why" and returns a non-zero status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkdev.h"
#include "commands.h"
#include "devfs.h"
#include "kernel.h"
#include "md5.h"

#undef errno
extern int errno;

/* Tools read and hash in chunks of this size: bounded memory whatever the
 * device size (the heap is 32 MiB, the guest 256 MiB). */
#define CHUNK (1u << 20)

/* Buffers larger than this come from the page allocator, not the heap. */
#define HEAP_LIMIT (256u << 10)

struct buffer {
	void *p;
	size_t size;
	bool pages;
};

static bool buffer_alloc(struct buffer *b, size_t size)
{
	b->size = size;
	b->pages = size > HEAP_LIMIT;
	if (b->pages)
		b->p = page_alloc((size + 4095) / 4096);
	else
		b->p = malloc(size ? size : 1);
	return b->p != NULL;
}

static void buffer_free(struct buffer *b)
{
	if (!b->p)
		return;
	if (b->pages)
		page_free(b->p, (b->size + 4095) / 4096);
	else
		free(b->p);
	b->p = NULL;
}

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
 * A dd number: decimal digits with an optional multiplier suffix, and
 * products with 'x' ("2x512").  Suffixes as coreutils: c 1, w 2, b 512,
 * kB 1000, K/k/KiB 1024, MB, M/MiB, GB, G/GiB, TB, T/TiB.
 */
static bool dd_number(const char *s, uint64_t *out)
{
	uint64_t total = 1;
	for (;;) {
		if (*s < '0' || *s > '9')
			return false;
		uint64_t v = 0;
		while (*s >= '0' && *s <= '9') {
			unsigned d = (unsigned)(*s++ - '0');
			if (v > (UINT64_MAX - d) / 10)
				return false;
			v = v * 10 + d;
		}
		uint64_t mul = 1;
		static const struct {
			const char *suffix;
			uint64_t mul;
		} suffixes[] = {
			{ "KiB", 1ull << 10 }, { "MiB", 1ull << 20 }, { "GiB", 1ull << 30 },
			{ "TiB", 1ull << 40 }, { "kB", 1000 }, { "KB", 1000 }, { "MB", 1000000 },
			{ "GB", 1000000000 }, { "TB", 1000000000000ull }, { "c", 1 }, { "w", 2 },
			{ "b", 512 }, { "K", 1ull << 10 }, { "k", 1ull << 10 }, { "M", 1ull << 20 },
			{ "G", 1ull << 30 }, { "T", 1ull << 40 },
		};
		for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
			size_t l = strlen(suffixes[i].suffix);
			if (!strncmp(s, suffixes[i].suffix, l)) {
				mul = suffixes[i].mul;
				s += l;
				break;
			}
		}
		if (v && mul > UINT64_MAX / v)
			return false;
		v *= mul;
		if (v && total > UINT64_MAX / v)
			return false;
		total *= v;
		if (!*s)
			break;
		if (*s++ != 'x')
			return false;
	}
	*out = total;
	return true;
}

struct dd_opts {
	const char *in, *out;
	uint64_t ibs, obs;
	uint64_t count, skip, seek;
	bool count_set;
	bool conv_fsync, conv_sync, conv_noerror;
	bool iflag_direct, oflag_direct, skip_bytes, count_bytes, seek_bytes, fullblock;
	int status; /* 0 default, 1 noxfer, 2 none */
};

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

static int dd_parse(int argc, char **argv, struct dd_opts *o)
{
	uint64_t bs = 0;
	bool ibs_set = false, obs_set = false;
	memset(o, 0, sizeof *o);
	o->ibs = o->obs = 512;
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			printf("dd: unrecognized operand '%s'\n", argv[i]);
			return 1;
		}
		size_t kl = (size_t)(eq - argv[i]);
		const char *v = eq + 1;
#define KEY(k) (kl == strlen(k) && !strncmp(argv[i], k, kl))
		uint64_t *num = NULL;
		if (KEY("if"))
			o->in = v;
		else if (KEY("of"))
			o->out = v;
		else if (KEY("bs"))
			num = &bs;
		else if (KEY("ibs"))
			num = &o->ibs, ibs_set = true;
		else if (KEY("obs"))
			num = &o->obs, obs_set = true;
		else if (KEY("count"))
			num = &o->count, o->count_set = true;
		else if (KEY("skip") || KEY("iseek"))
			num = &o->skip;
		else if (KEY("seek") || KEY("oseek"))
			num = &o->seek;
		else if (KEY("conv")) {
			static const char *const names[] = { "fsync", "fdatasync", "notrunc", "sync",
							     "noerror" };
			bool *t[] = { &o->conv_fsync, &o->conv_fsync, NULL, &o->conv_sync,
				      &o->conv_noerror };
			if (!dd_flags("dd", "conversion", v, names, t, 5))
				return 1;
		} else if (KEY("iflag")) {
			static const char *const names[] = { "direct", "skip_bytes", "count_bytes",
							     "fullblock", "sync", "dsync" };
			bool *t[] = { &o->iflag_direct, &o->skip_bytes, &o->count_bytes,
				      &o->fullblock, NULL, NULL };
			if (!dd_flags("dd", "input flag", v, names, t, 6))
				return 1;
		} else if (KEY("oflag")) {
			static const char *const names[] = { "direct", "seek_bytes", "sync", "dsync" };
			bool *t[] = { &o->oflag_direct, &o->seek_bytes, NULL, NULL };
			if (!dd_flags("dd", "output flag", v, names, t, 4))
				return 1;
		} else if (KEY("status")) {
			if (!strcmp(v, "none"))
				o->status = 2;
			else if (!strcmp(v, "noxfer"))
				o->status = 1;
			else if (!strcmp(v, "progress"))
				o->status = 0;
			else {
				printf("dd: invalid status level: '%s'\n", v);
				return 1;
			}
		} else {
			printf("dd: unrecognized operand '%s'\n", argv[i]);
			return 1;
		}
#undef KEY
		if (num) {
			if (!dd_number(v, num)) {
				printf("dd: invalid number: '%s'\n", v);
				return 1;
			}
			if ((num == &bs || num == &o->ibs || num == &o->obs) && *num == 0) {
				printf("dd: invalid number: '%s'\n", v);
				return 1;
			}
		}
	}
	if (bs) {
		if (!ibs_set)
			o->ibs = bs;
		if (!obs_set)
			o->obs = bs;
	}
	if (!o->in || !o->out) {
		printf("dd: %s= is required (there is no standard %s here; /dev/zero and "
		       "/dev/null exist)\n", o->in ? "of" : "if", o->in ? "output" : "input");
		return 1;
	}
	return 0;
}

static void dd_stats(const struct dd_opts *o, uint64_t full_in, uint64_t part_in,
		     uint64_t full_out, uint64_t part_out, uint64_t bytes, uint64_t ns)
{
	if (o->status == 2)
		return;
	printf("%llu+%llu records in\n%llu+%llu records out\n", (unsigned long long)full_in,
	       (unsigned long long)part_in, (unsigned long long)full_out,
	       (unsigned long long)part_out);
	if (o->status == 1)
		return;
	char si[32], iec[32], secs[32], rate[32];
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

int cmd_dd(int argc, char **argv)
{
	struct dd_opts o;
	if (argc < 2)
		return shell_usage(argv[0]);
	if (dd_parse(argc, argv, &o))
		return 1;

	int in = open_dev(o.in, O_RDONLY | (o.iflag_direct ? O_DIRECT : 0));
	if (in < 0) {
		printf("dd: failed to open '%s': %s\n", o.in, blkdev_strerror(errno));
		return 1;
	}
	int out = open_dev(o.out, O_WRONLY | (o.oflag_direct ? O_DIRECT : 0));
	if (out < 0) {
		printf("dd: failed to open '%s': %s\n", o.out, blkdev_strerror(errno));
		close(in);
		return 1;
	}

	int status = 1;
	struct buffer ib = { 0 }, ob = { 0 };
	bool reblock = o.ibs != o.obs;
	if (o.ibs > SIZE_MAX / 2 || !buffer_alloc(&ib, (size_t)o.ibs)) {
		printf("dd: memory exhausted by input buffer of size %llu bytes\n",
		       (unsigned long long)o.ibs);
		goto out;
	}
	if (reblock && (o.obs > SIZE_MAX / 2 || !buffer_alloc(&ob, (size_t)o.obs))) {
		printf("dd: memory exhausted by output buffer of size %llu bytes\n",
		       (unsigned long long)o.obs);
		goto out;
	}

	uint64_t t0 = clock_ns();
	/* skip= and seek= count blocks of ibs / obs unless *_bytes; both are
	 * plain lseeks, which fail past the end of a device (EINVAL). */
	uint64_t skip = o.skip_bytes ? o.skip : o.skip * o.ibs;
	uint64_t seek = o.seek_bytes ? o.seek : o.seek * o.obs;
	if ((!o.skip_bytes && o.skip && skip / o.ibs != o.skip) || skip > INT64_MAX) {
		printf("dd: '%s': cannot skip: %s\n", o.in, blkdev_strerror(EOVERFLOW));
		goto out;
	}
	if ((!o.seek_bytes && o.seek && seek / o.obs != o.seek) || seek > INT64_MAX) {
		printf("dd: '%s': cannot seek: %s\n", o.out, blkdev_strerror(EOVERFLOW));
		goto out;
	}
	if (skip && lseek(in, (off_t)skip, SEEK_SET) < 0) {
		printf("dd: '%s': cannot skip: %s\n", o.in, blkdev_strerror(errno));
		dd_stats(&o, 0, 0, 0, 0, 0, clock_ns() - t0);
		goto out;
	}
	if (seek && lseek(out, (off_t)seek, SEEK_SET) < 0) {
		printf("dd: '%s': cannot seek: %s\n", o.out, blkdev_strerror(errno));
		dd_stats(&o, 0, 0, 0, 0, 0, clock_ns() - t0);
		goto out;
	}

	uint64_t full_in = 0, part_in = 0, full_out = 0, part_out = 0, bytes = 0;
	uint64_t left = o.count_bytes ? o.count : 0; /* bytes, with count_bytes */
	size_t pending = 0;                          /* bytes staged in ob */
	int err = 0;
	const char *err_what = NULL;
	for (;;) {
		if (o.count_set && !o.count_bytes && full_in + part_in >= o.count)
			break;
		if (o.count_set && o.count_bytes && !left)
			break;
		size_t want = (size_t)o.ibs;
		if (o.count_bytes && left < want)
			want = (size_t)left;
		long n = read(in, ib.p, want);
		if (n > 0 && o.fullblock)
			while ((size_t)n < want) {
				long m = read(in, (uint8_t *)ib.p + n, want - (size_t)n);
				if (m <= 0)
					break;
				n += m;
			}
		if (n < 0) {
			err = errno;
			err_what = "reading";
			break;
		}
		if (n == 0)
			break;
		if ((uint64_t)n == o.ibs)
			full_in++;
		else
			part_in++;
		if (o.count_bytes)
			left -= (uint64_t)n;
		size_t have = (size_t)n;
		if (o.conv_sync && have < o.ibs) {
			memset((uint8_t *)ib.p + have, 0, (size_t)o.ibs - have);
			have = (size_t)o.ibs;
		}
		if (!reblock) {
			uint64_t done = 0;
			int r = write_all(out, ib.p, have, &done);
			bytes += done;
			if (r) {
				if (done)
					part_out++;
				err = -r;
				err_what = "writing";
				break;
			}
			if (have == o.obs)
				full_out++;
			else
				part_out++;
			continue;
		}
		/* ibs != obs: gather into obs-sized output blocks. */
		const uint8_t *src = ib.p;
		while (have) {
			size_t take = (size_t)o.obs - pending;
			if (take > have)
				take = have;
			memcpy((uint8_t *)ob.p + pending, src, take);
			pending += take;
			src += take;
			have -= take;
			if (pending == o.obs) {
				uint64_t done = 0;
				int r = write_all(out, ob.p, pending, &done);
				bytes += done;
				pending = 0;
				if (r) {
					if (done)
						part_out++;
					err = -r;
					err_what = "writing";
					break;
				}
				full_out++;
			}
		}
		if (err)
			break;
	}
	if (!err && pending) {
		uint64_t done = 0;
		int r = write_all(out, ob.p, pending, &done);
		bytes += done;
		if (done)
			part_out++;
		if (r) {
			err = -r;
			err_what = "writing";
		}
	}
	if (!err && o.conv_fsync && ioctl(out, BLKFLSBUF, NULL) < 0 && errno != ENOTTY) {
		printf("dd: fsync failed for '%s': %s\n", o.out, blkdev_strerror(errno));
		err = errno;
	} else if (err) {
		printf("dd: error %s '%s': %s\n", err_what, err_what[0] == 'r' ? o.in : o.out,
		       blkdev_strerror(err));
	}
	dd_stats(&o, full_in, part_in, full_out, part_out, bytes, clock_ns() - t0);
	status = err ? 1 : 0;
out:
	buffer_free(&ib);
	buffer_free(&ob);
	close(in);
	if (close(out) < 0 && !status) {
		printf("dd: closing output file '%s': %s\n", o.out, blkdev_strerror(errno));
		status = 1;
	}
	return status;
}

/* ---- md5sum ---------------------------------------------------------------- */

int cmd_md5sum(int argc, char **argv)
{
	if (argc < 2)
		return shell_usage(argv[0]);
	struct buffer b;
	if (!buffer_alloc(&b, CHUNK)) {
		printf("md5sum: out of memory\n");
		return 1;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		int fd = open_dev(argv[i], O_RDONLY);
		if (fd < 0) {
			printf("md5sum: %s: %s\n", argv[i], blkdev_strerror(errno));
			status = 1;
			continue;
		}
		struct md5_ctx c;
		md5_init(&c);
		long n;
		while ((n = read(fd, b.p, b.size)) > 0)
			md5_update(&c, b.p, (size_t)n);
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
	buffer_free(&b);
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
	struct buffer b;
	if (!buffer_alloc(&b, 64 << 10)) {
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
	if (fill) {
		if (canonical)
			hex_line_canonical(off, line, fill);
		else
			hex_line_words(off, line, fill);
		off += fill;
	}
	if (!status)
		printf(canonical ? "%08llx\n" : "%07llx\n", (unsigned long long)off);
	buffer_free(&b);
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
