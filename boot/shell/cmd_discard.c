/*
 * cmd_discard.c - blkdiscard: tell a disk that a byte range holds nothing
 * worth keeping (SCSI UNMAP, or WRITE SAME(16) with UNMAP; the block layer
 * picks the command from VPD B0h/B2h and cuts the range at the device's
 * maximums and unmap granularity).
 *
 * The syntax, checks and messages are util-linux 2.38's blkdiscard(8):
 *
 *   blkdiscard [-f] [-v] [-o OFFSET] [-l LENGTH] [-p STEP] [-s] DEVICE
 *
 * OFFSET, LENGTH and STEP are bytes (C's decimal, 0x hex or 0 octal, then
 * K, M, G, T, P, E: KiB = K = 1024, KB = 1000 ...).  The offset and the
 * length must be multiples of the logical block size, or nothing is sent
 * ("offset 100 is not aligned to sector size 512"); an offset past the end
 * is refused ("offset is greater than device size"); a length reaching past
 * the end stops at the end, as util-linux does.  Without -o/-l the whole
 * device is discarded.  -p discards STEP bytes per call; -v prints
 * "DEV: Discarded N bytes from the offset M" (once a second with -p, and
 * at the end).  -s (secure discard) fails as on a Linux SCSI disk, which
 * has none.  -f is accepted: this blkdiscard does not look for file system
 * signatures, so there is nothing to override.
 *
 * The work is the BLKDISCARD ioctl of the device file (boot/fs/blkdev.c),
 * as on Linux; Ctrl-C stops it between steps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/blkdev.h"
#include "fs/console.h"
#include "fs/devfs.h"
#include "kernel/clock.h"
#include "shell/args.h"
#include "shell/commands.h"

#undef errno
extern int errno;

/* util-linux's size suffixes: a letter (either case) alone or with iB is
 * binary, with B alone decimal.  Longer spellings first: the parser takes
 * the first suffix the rest of the word starts with. */
#define SIZE_SUFFIX(up, lo, shift, pow10)                                                  \
	{ up "iB", 1ull << (shift) }, { up "ib", 1ull << (shift) }, { lo "iB", 1ull << (shift) }, \
	{ lo "ib", 1ull << (shift) }, { up "B", (pow10) }, { up "b", (pow10) },                 \
	{ lo "B", (pow10) }, { lo "b", (pow10) }, { up, 1ull << (shift) }, { lo, 1ull << (shift) }

static const struct number_suffix size_suffixes[] = {
	SIZE_SUFFIX("K", "k", 10, 1000ull),
	SIZE_SUFFIX("M", "m", 20, 1000000ull),
	SIZE_SUFFIX("G", "g", 30, 1000000000ull),
	SIZE_SUFFIX("T", "t", 40, 1000000000000ull),
	SIZE_SUFFIX("P", "p", 50, 1000000000000000ull),
	SIZE_SUFFIX("E", "e", 60, 1000000000000000000ull),
};

static const struct number_syntax size_syntax = {
	.hex_0x = true,
	.octal_0 = true,
	.hex_scaled = true,
	.suffixes = size_suffixes,
	.n_suffixes = sizeof size_suffixes / sizeof size_suffixes[0],
};

static bool parse_size(const char *what, const char *s, uint64_t *out)
{
	if (s && parse_number(s, &size_syntax, out))
		return true;
	printf("blkdiscard: failed to parse %s: '%s'\n", what, s ? s : "");
	return false;
}

static int try_help(void)
{
	printf("Try 'help blkdiscard' for more information.\n");
	return 1;
}

static void print_stats(const char *path, uint64_t offset, uint64_t bytes)
{
	printf("%s: Discarded %llu bytes from the offset %llu\n", path, (unsigned long long)bytes,
	       (unsigned long long)offset);
}

int cmd_blkdiscard(int argc, char **argv)
{
	uint64_t offset = 0, length = UINT64_MAX, step = 0;
	bool verbose = false, secure = false;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		/* -oVALUE, -o VALUE, --offset=VALUE, --offset VALUE */
		char opt = 0;
		if (!strcmp(a, "-o") || !strcmp(a, "--offset") || !strncmp(a, "--offset=", 9))
			opt = 'o';
		else if (!strcmp(a, "-l") || !strcmp(a, "--length") || !strncmp(a, "--length=", 9))
			opt = 'l';
		else if (!strcmp(a, "-p") || !strcmp(a, "--step") || !strncmp(a, "--step=", 7))
			opt = 'p';
		else if (a[0] == '-' && a[1] && strchr("olp", a[1]) && a[2])
			opt = a[1], val = a + 2;
		if (opt) {
			if (!val) {
				const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
				if (eq)
					val = eq + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else {
					printf("blkdiscard: option requires an argument -- '%c'\n", opt);
					return try_help();
				}
			}
			const char *what = opt == 'o' ? "offset" : opt == 'l' ? "length" : "step";
			uint64_t *dst = opt == 'o' ? &offset : opt == 'l' ? &length : &step;
			if (!parse_size(what, val, dst))
				return 1;
			continue;
		}
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			verbose = true;
		else if (!strcmp(a, "-f") || !strcmp(a, "--force"))
			; /* no signature check to override */
		else if (!strcmp(a, "-s") || !strcmp(a, "--secure"))
			secure = true;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			shell_usage(argv[0]);
			return 0;
		}
		else if (a[0] == '-' && a[1] && a[1] != '-' && a[2] && strspn(a + 1, "vfs") == strlen(a + 1)) {
			for (const char *c = a + 1; *c; c++) /* -vf */
				if (*c == 'v')
					verbose = true;
				else if (*c == 's')
					secure = true;
		} else if (a[0] == '-' && a[1]) {
			if (a[1] == '-')
				printf("blkdiscard: unrecognized option '%s'\n", a);
			else
				printf("blkdiscard: invalid option -- '%c'\n", a[1]);
			return try_help();
		} else if (path) {
			printf("blkdiscard: unexpected number of arguments\n");
			return try_help();
		} else {
			path = a;
		}
	}
	if (!path) {
		printf("blkdiscard: no device specified\n");
		return 1;
	}

	blkdev_init();
	int fd = open(path, O_WRONLY);
	if (fd < 0) {
		printf("blkdiscard: cannot open %s: %s\n", path, blkdev_strerror(errno));
		return 1;
	}
	int status = 1;
	struct stat st;
	uint64_t size;
	int secsize;
	if (fstat(fd, &st) < 0) {
		printf("blkdiscard: stat of %s failed: %s\n", path, blkdev_strerror(errno));
		goto out;
	}
	if (!S_ISBLK(st.st_mode)) {
		printf("blkdiscard: %s: not a block device\n", path);
		goto out;
	}
	if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
		printf("blkdiscard: %s: BLKGETSIZE64 ioctl failed: %s\n", path, blkdev_strerror(errno));
		goto out;
	}
	if (ioctl(fd, BLKSSZGET, &secsize) < 0 || secsize <= 0) {
		printf("blkdiscard: %s: BLKSSZGET ioctl failed: %s\n", path, blkdev_strerror(errno));
		goto out;
	}
	/* util-linux's order of checks: the offset's alignment, the offset
	 * inside the device, the end clipped to it, then the length's (or
	 * the step's) alignment. */
	if (offset % (unsigned)secsize) {
		printf("blkdiscard: %s: offset %llu is not aligned to sector size %d\n", path,
		       (unsigned long long)offset, secsize);
		goto out;
	}
	if (offset > size) {
		printf("blkdiscard: %s: offset is greater than device size\n", path);
		goto out;
	}
	uint64_t end = offset + length;
	if (end < offset || end > size)
		end = size;
	uint64_t chunk = step ? step : end - offset;
	if (chunk % (unsigned)secsize) {
		printf("blkdiscard: %s: length %llu is not aligned to sector size %d\n", path,
		       (unsigned long long)chunk, secsize);
		goto out;
	}
	uint64_t stats_offset = offset, stats_bytes = 0;
	uint64_t last = clock_ns();
	for (uint64_t pos = offset; pos < end; pos += chunk) {
		/* Ctrl-C between steps (-p), as SIGINT ends util-linux's: the
		 * discard already sent has completed. */
		if (console_interrupted()) {
			status = CONSOLE_INTERRUPTED_STATUS;
			goto out;
		}
		uint64_t range[2] = { pos, chunk };
		if (range[0] + range[1] > end)
			range[1] = end - range[0];
		if (secure) {
			/* Linux's sd has no secure discard: BLKSECDISCARD fails. */
			printf("blkdiscard: %s: BLKSECDISCARD ioctl failed: %s\n", path,
			       blkdev_strerror(EOPNOTSUPP));
			goto out;
		}
		if (ioctl(fd, BLKDISCARD, range) < 0) {
			printf("blkdiscard: %s: BLKDISCARD ioctl failed: %s\n", path,
			       blkdev_strerror(errno));
			goto out;
		}
		stats_bytes += range[1];
		/* progress at most once a second, as util-linux */
		if (verbose && step && clock_ns() - last >= 1000000000ull) {
			print_stats(path, stats_offset, stats_bytes);
			stats_offset += stats_bytes;
			stats_bytes = 0;
			last = clock_ns();
		}
	}
	if (verbose && stats_bytes)
		print_stats(path, stats_offset, stats_bytes);
	status = 0;
out:
	close(fd);
	return status;
}
