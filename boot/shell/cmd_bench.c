/*
 * cmd_bench.c - `bench`: closed-loop 4 KiB random reads at fixed queue
 * depths through the driver's asynchronous interface, printing IOPS and
 * mean latency per depth (what `make bench` collects).
 *
 * Each completion immediately submits the next read of its slot, so the
 * depth stays constant; submissions made while draining are batched and
 * notified once per poll pass (VSCSI_SUBMIT_NO_KICK + vscsi_kick).  With
 * interrupts, completions (and so submissions) also run in interrupt
 * context: the counters are updated atomically, and the final drain keeps
 * kicking so nothing submitted by a late completion waits unnotified.
 *
 * Ctrl-C stops the run: no new reads are submitted, the ones the device
 * holds are waited for (a buffer is never abandoned to the device), and the
 * command ends with status 130.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/console.h"
#include "kernel/clock.h"
#include "kernel/pages.h"
#include "shell/args.h"
#include "shell/commands.h"
#include "vscsi/vscsi.h"

#define BENCH_MAX_QD 128
#define BENCH_IO 4096u

struct bench_slot {
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[10];
	uint64_t started;
};

static struct {
	struct vscsi_lun *lun;
	uint64_t blocks;          /* of BENCH_IO bytes */
	uint32_t per_io;          /* logical blocks per I/O */
	uint64_t rng;
	uint64_t done, errors, lat_ns;
	volatile bool stop;
	unsigned inflight;
} B;

static uint8_t *bench_buf;

static uint64_t next_random(void)
{
	/* xorshift64: cheap and good enough to spread LBAs. */
	B.rng ^= B.rng << 13;
	B.rng ^= B.rng >> 7;
	B.rng ^= B.rng << 17;
	return B.rng;
}

static void bench_done(struct vscsi_cmd *cmd);

static int bench_submit(struct bench_slot *s)
{
	uint64_t lba = (next_random() % B.blocks) * B.per_io;
	s->cdb[0] = 0x28;
	s->cdb[2] = (uint8_t)(lba >> 24);
	s->cdb[3] = (uint8_t)(lba >> 16);
	s->cdb[4] = (uint8_t)(lba >> 8);
	s->cdb[5] = (uint8_t)lba;
	s->cdb[7] = (uint8_t)(B.per_io >> 8);
	s->cdb[8] = (uint8_t)B.per_io;
	s->started = clock_ns();
	int err = vscsi_lun_submit(B.lun, &s->cmd, VSCSI_SUBMIT_NO_KICK);
	if (!err)
		__atomic_fetch_add(&B.inflight, 1, __ATOMIC_RELAXED);
	return err;
}

static void bench_done(struct vscsi_cmd *cmd)
{
	struct bench_slot *s = cmd->arg;
	__atomic_fetch_sub(&B.inflight, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&B.lat_ns, clock_ns() - s->started, __ATOMIC_RELAXED);
	__atomic_fetch_add(cmd->result ? &B.errors : &B.done, 1, __ATOMIC_RELAXED);
	if (!B.stop)
		bench_submit(s);
}

/* Run one depth; 0, 1 (errors or reads that never completed), or
 * CONSOLE_INTERRUPTED_STATUS. */
static int bench_depth(struct bench_slot *slots, unsigned qd, uint64_t ns)
{
	struct vscsi_ctrl *ctrl = vscsi_lun_ctrl(B.lun);
	B.done = B.errors = B.lat_ns = 0;
	B.stop = false;
	for (unsigned i = 0; i < qd; i++) {
		int err = bench_submit(&slots[i]);
		if (err) {
			printf("bench: submit failed at depth %u: %s\n", i, vscsi_strerror(err));
			B.stop = true;
			break;
		}
	}
	vscsi_kick(ctrl);
	uint64_t t0 = clock_ns(), end = t0 + ns;
	bool interrupted = false;
	while (!B.stop) {
		vscsi_poll(ctrl);
		vscsi_kick(ctrl);
		if (clock_ns() >= end)
			B.stop = true;
		if (console_interrupted())
			B.stop = interrupted = true;
	}
	uint64_t elapsed = clock_ns() - t0;
	uint64_t drain_end = clock_ns() + 10ull * 1000000000ull;
	while (__atomic_load_n(&B.inflight, __ATOMIC_RELAXED) && clock_ns() < drain_end) {
		vscsi_kick(ctrl);
		vscsi_poll(ctrl);
	}
	if (B.inflight) {
		printf("bench: %u reads never completed\n", B.inflight);
		return 1;
	}
	if (interrupted)
		return CONSOLE_INTERRUPTED_STATUS;
	uint64_t n = B.done + B.errors;
	printf("bench qd=%u ios=%llu errors=%llu iops=%llu lat_us=%llu.%llu\n", qd,
	       (unsigned long long)n, (unsigned long long)B.errors,
	       (unsigned long long)(n * 1000000000ull / (elapsed ? elapsed : 1)),
	       (unsigned long long)(n ? B.lat_ns / n / 1000 : 0),
	       (unsigned long long)(n ? B.lat_ns / n / 100 % 10 : 0));
	return B.errors ? 1 : 0;
}

/* The -q list: depths 1..max, comma-separated; the count, or 0 after
 * printing why. */
static unsigned parse_depths(const char *qds, unsigned max, unsigned *out, unsigned cap)
{
	unsigned n = 0;
	const char *p = qds;
	for (;;) {
		uint64_t qd;
		char word[24];
		size_t l = strcspn(p, ",");
		bool ok = l && l < sizeof word && n < cap;
		if (ok) {
			memcpy(word, p, l);
			word[l] = 0;
			ok = parse_number(word, &shell_number_syntax, &qd) && qd >= 1 && qd <= max;
		}
		if (!ok) {
			printf("bench: bad queue depth '%.*s' in '%s' (a list of 1..%u)\n", (int)l, p,
			       qds, max);
			return 0;
		}
		out[n++] = (unsigned)qd;
		if (!p[l])
			return n;
		p += l + 1;
	}
}

/* bench [DEV] [-t SECONDS] [-q QD[,QD...]] */
int cmd_bench(int argc, char **argv)
{
	const char *dev = NULL, *qds = "1,4,32";
	unsigned long long secs = 2;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			if (!shell_parse_u64(argv[0], argv[++i], &secs) || !secs || secs > 600)
				return shell_usage(argv[0]);
		} else if (!strcmp(argv[i], "-q") && i + 1 < argc) {
			qds = argv[++i];
		} else if (argv[i][0] != '-' && !dev) {
			dev = argv[i];
		} else {
			return shell_usage(argv[0]);
		}
	}
	if (dev && !strncmp(dev, "/dev/", 5))
		dev += 5;
	B.lun = dev ? vscsi_lun_find(dev) : NULL;
	if (!dev)
		for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l))
			if (vscsi_lun_info(l)->type == 0 && vscsi_lun_info(l)->medium) {
				B.lun = l;
				break;
			}
	if (!B.lun) {
		printf("bench: %s%s\n", dev ? "no such device: " : "no disk to read", dev ? dev : "");
		return 1;
	}
	const struct vscsi_lun_info *li = vscsi_lun_info(B.lun);
	if (li->block_size == 0 || BENCH_IO % li->block_size || li->blocks * li->block_size < BENCH_IO) {
		printf("bench: %s: block size %u does not fit 4 KiB reads\n", li->name, li->block_size);
		return 1;
	}
	unsigned max_qd = li->queue_depth < BENCH_MAX_QD ? li->queue_depth : BENCH_MAX_QD;
	unsigned depths[16];
	unsigned ndepths = parse_depths(qds, max_qd, depths, sizeof depths / sizeof depths[0]);
	if (!ndepths)
		return 2;
	B.per_io = BENCH_IO / li->block_size;
	B.blocks = li->blocks / B.per_io;
	B.rng = 0x9e3779b97f4a7c15ull;
	if (!bench_buf)
		bench_buf = page_alloc(BENCH_MAX_QD * BENCH_IO / 4096);
	static struct bench_slot slots[BENCH_MAX_QD];
	memset(slots, 0, sizeof(slots));
	for (unsigned i = 0; i < BENCH_MAX_QD; i++) {
		struct bench_slot *s = &slots[i];
		s->sg.addr = bench_buf + i * BENCH_IO;
		s->sg.len = BENCH_IO;
		s->cmd.cdb = s->cdb;
		s->cmd.cdb_len = 10;
		s->cmd.dir = VSCSI_DATA_FROM_DEVICE;
		s->cmd.sg = &s->sg;
		s->cmd.sg_count = 1;
		s->cmd.queue = VSCSI_QUEUE_ANY;
		s->cmd.done = bench_done;
		s->cmd.arg = s;
	}
	printf("bench: %s, 4 KiB random reads, %llu s per queue depth\n", li->name, secs);
	int st = 0;
	for (unsigned i = 0; i < ndepths; i++) {
		int r = bench_depth(slots, depths[i], secs * 1000000000ull);
		if (r == CONSOLE_INTERRUPTED_STATUS)
			return r;
		st |= r;
	}
	return st;
}
