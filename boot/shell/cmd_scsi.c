/*
 * cmd_scsi.c - shell commands that show and manage the SCSI topology:
 * virtio, lsscsi, lsblk, by-id, rescan, tmf.
 *
 * Output follows the Linux tools users know (lsscsi, lsblk) so that the
 * same eyes read both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/clock.h"
#include "shell/args.h"
#include "shell/commands.h"
#include "vscsi/vscsi.h"

static const char *lsscsi_type(uint8_t t)
{
	static const char *names[] = {
		"disk", "tape", "printer", "process", "worm", "cd/dvd", "scanner", "optical",
		"mediumx", "comms", "(0xa)", "(0xb)", "storage", "enclosu", "sim dsk", "opti rd",
		"bridge", "osd", "adi", "sec man", "zbc", "(0x15)", "(0x16)", "(0x17)",
		"(0x18)", "(0x19)", "(0x1a)", "(0x1b)", "(0x1c)", "(0x1d)", "wlun", "no dev",
	};
	return names[t & 0x1f];
}

/* lsscsi -s style: three significant digits, decimal units. */
static void short_size(uint64_t bytes, char *out, size_t n)
{
	static const char *u[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	int i = 0;
	uint64_t scaled = bytes * 100;
	while (scaled >= 100000 && i < 5)
		scaled /= 1000, i++;
	if (scaled >= 10000)
		snprintf(out, n, "%llu%s", (unsigned long long)scaled / 100, u[i]);
	else if (scaled >= 1000)
		snprintf(out, n, "%llu.%llu%s", (unsigned long long)scaled / 100,
			 (unsigned long long)scaled / 10 % 10, u[i]);
	else
		snprintf(out, n, "%llu.%02llu%s", (unsigned long long)scaled / 100,
			 (unsigned long long)scaled % 100, u[i]);
}

/* lsscsi [-g] [-i] [-s] [-w]: one line per LUN, in lsscsi's columns. */
int cmd_lsscsi(int argc, char **argv)
{
	vscsi_poll_all(); /* act on pending hot-plug events first */
	bool sizes = false, ident = false, wwn = false, generic = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") || !strcmp(argv[i], "--size"))
			sizes = true;
		else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--scsi_id"))
			ident = true;
		else if (!strcmp(argv[i], "-w") || !strcmp(argv[i], "--wwn"))
			wwn = true;
		else if (!strcmp(argv[i], "-g") || !strcmp(argv[i], "--generic"))
			generic = true;
		else {
			printf("lsscsi: unknown option '%s'\n", argv[i]);
			return shell_usage(argv[0]);
		}
	}
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l)) {
		const struct vscsi_lun_info *li = vscsi_lun_info(l);
		char hctl[32], node[20] = "-", sg[20] = "-";
		snprintf(hctl, sizeof(hctl), "[%u:%u:%u:%u]", li->host, li->channel, li->target,
			 li->lun);
		if (li->name[0])
			snprintf(node, sizeof(node), "/dev/%s", li->name);
		if (li->sg_name[0])
			snprintf(sg, sizeof(sg), "/dev/%s", li->sg_name);
		printf("%-12s %-8s%-9s%-17s%-6s", hctl, lsscsi_type(li->type), li->vendor,
		       li->model, li->rev);
		if (wwn)
			printf("%-21s", li->wwn[0] ? li->wwn : "");
		printf("%-9s", node);
		if (ident) {
			/* udev's ID_SERIAL, as lsscsi reads it from /dev/disk/by-id;
			 * udev names block devices only. */
			char id[VSCSI_UDEV_ID_MAX] = "";
			if (li->name[0])
				vscsi_lun_udev_ids(li, id, sizeof(id), NULL, 0);
			printf("  %s", id[0] ? id : "-");
		}
		if (generic)
			printf("  %-9s", sg);
		if (sizes) {
			char s[16] = "-";
			if (li->name[0] && li->medium)
				short_size(li->blocks * li->block_size, s, sizeof(s));
			printf("  %6s", s);
		}
		printf("\n");
	}
	return 0;
}

int cmd_lsblk(int argc, char **argv)
{
	vscsi_poll_all(); /* act on pending hot-plug events first */
	if (argc != 1)
		return shell_usage(argv[0]);
	printf("%-6s %-15s %7s %-5s %-3s %-12s %s\n", "NAME", "HCTL", "LOG-SEC", "TYPE", "RO",
	       "SIZE", "MODEL");
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l)) {
		const struct vscsi_lun_info *li = vscsi_lun_info(l);
		if (!li->name[0])
			continue;
		char hctl[24], size[40] = "no medium";
		snprintf(hctl, sizeof(hctl), "%u:%u:%u:%u", li->host, li->channel, li->target,
			 li->lun);
		if (li->medium)
			snprintf(size, sizeof(size), "%llu",
				 (unsigned long long)(li->blocks * li->block_size));
		printf("%-6s %-15s %7u %-5s %-3d %-12s %s\n", li->name, hctl, li->block_size,
		       li->type == 5 ? "rom" : "disk", li->read_only ? 1 : 0, size, li->model);
	}
	return 0;
}

/*
 * by-id: the /dev/disk/by-id names udev gives the disks and CDs on Linux
 * (systemd's 60-persistent-storage.rules with scsi_id): "scsi-" ID_SERIAL
 * and, for an NAA identifier, "wwn-" ID_WWN_WITH_EXTENSION.  The choice
 * of identifier is the driver's vscsi_lun_udev_ids().
 */
int cmd_byid(int argc, char **argv)
{
	vscsi_poll_all(); /* act on pending hot-plug events first */
	if (argc != 1)
		return shell_usage(argv[0]);
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l)) {
		const struct vscsi_lun_info *li = vscsi_lun_info(l);
		char id[VSCSI_UDEV_ID_MAX], wwn[VSCSI_UDEV_ID_MAX];
		if (!li->name[0])
			continue;
		vscsi_lun_udev_ids(li, id, sizeof(id), wwn, sizeof(wwn));
		if (id[0])
			printf("scsi-%s -> %s\n", id, li->name);
		if (wwn[0])
			printf("wwn-%s -> %s\n", wwn, li->name);
	}
	return 0;
}

static const struct {
	unsigned bit;
	const char *name;
} feature_names[] = {
	{ 0, "INOUT" }, { 1, "HOTPLUG" }, { 2, "CHANGE" }, { 3, "T10_PI" },
	{ 24, "NOTIFY_ON_EMPTY" }, { 27, "ANY_LAYOUT" }, { 28, "INDIRECT_DESC" },
	{ 29, "EVENT_IDX" }, { 30, "BAD_FEATURE" }, { 32, "VERSION_1" },
	{ 33, "ACCESS_PLATFORM" }, { 34, "RING_PACKED" }, { 35, "IN_ORDER" },
	{ 36, "ORDER_PLATFORM" }, { 37, "SR_IOV" }, { 38, "NOTIFICATION_DATA" },
	{ 40, "RING_RESET" },
};

static void print_features(const char *label, uint64_t f)
{
	printf("  %s 0x%016llx:", label, (unsigned long long)f);
	for (unsigned b = 0; b < 64; b++) {
		if (!(f >> b & 1))
			continue;
		const char *n = NULL;
		for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
			if (feature_names[i].bit == b)
				n = feature_names[i].name;
		if (n)
			printf(" %s", n);
		else
			printf(" bit%u", b);
	}
	printf("\n");
}

static const char *intr_name(enum vscsi_intr_mode m)
{
	switch (m) {
	case VSCSI_INTR_MSIX: return "msix";
	case VSCSI_INTR_INTX: return "intx";
	case VSCSI_INTR_POLL: return "poll";
	default: return "auto";
	}
}

int cmd_virtio(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage(argv[0]);
	if (!vscsi_ctrl_next(NULL)) {
		printf("virtio: no virtio-scsi controller\n");
		return 1;
	}
	for (struct vscsi_ctrl *c = vscsi_ctrl_next(NULL); c; c = vscsi_ctrl_next(c)) {
		struct vscsi_ctrl_info ci;
		vscsi_ctrl_get_info(c, &ci);
		printf("host%u: %s transport=%s intr=%s%s\n", ci.host, ci.location, ci.transport,
		       intr_name(ci.intr), ci.dead ? " DEAD" : "");
		print_features("offered   ", ci.offered_features);
		print_features("negotiated", ci.features);
		printf("  queues: control event + %u request (device has %u), queue size %u, "
		       "%u requests/queue\n",
		       ci.request_queues, ci.num_queues, ci.queue_size, ci.requests_per_queue);
		/* What the device said (virtio 1.2 §5.6.4) ... */
		const struct vscsi_virtio_scsi_config *cf = &ci.config;
		printf("  config: num_queues=%u seg_max=%u max_sectors=%u cmd_per_lun=%u "
		       "event_info_size=%u sense_size=%u cdb_size=%u max_channel=%u "
		       "max_target=%u max_lun=%u\n",
		       cf->num_queues, cf->seg_max, cf->max_sectors, cf->cmd_per_lun,
		       cf->event_info_size, cf->sense_size, cf->cdb_size, cf->max_channel,
		       cf->max_target, cf->max_lun);
		/* ... and what the driver uses: zeros replaced, the sizes it
		 * wrote, the targets and LUNs the request format can address
		 * (virtio 1.2 §5.6.6.1: one byte of target, 14 bits of LUN). */
		printf("  limits: seg_max=%u max_sectors=%u cmd_per_lun=%u sense_size=%u "
		       "cdb_size=%u max_target=%u max_lun=%u, %u segments and %u bytes per "
		       "command\n",
		       ci.seg_max, ci.max_sectors, ci.cmd_per_lun, ci.sense_size, ci.cdb_size,
		       ci.max_target < 255 ? ci.max_target : 255,
		       ci.max_lun < 16383 ? ci.max_lun : 16383, ci.max_segments, ci.max_transfer);
		printf("  in flight: %u\n", ci.in_flight);
		printf("  counters: commands=%llu errors=%llu timeouts=%llu aborts=%llu "
		       "lun_resets=%llu device_resets=%llu events=%llu missed=%llu rescans=%llu\n",
		       (unsigned long long)ci.commands, (unsigned long long)ci.errors,
		       (unsigned long long)ci.timeouts, (unsigned long long)ci.aborts,
		       (unsigned long long)ci.lun_resets, (unsigned long long)ci.device_resets,
		       (unsigned long long)ci.events, (unsigned long long)ci.events_missed,
		       (unsigned long long)ci.rescans);
	}
	return 0;
}

int cmd_rescan(int argc, char **argv)
{
	unsigned long long host;
	if (argc > 2)
		return shell_usage(argv[0]);
	int n;
	if (argc == 2) {
		const char *h = argv[1];
		if (!strncmp(h, "host", 4))
			h += 4;
		if (!shell_parse_u64(argv[0], h, &host))
			return 2;
		struct vscsi_ctrl *c = vscsi_ctrl_by_host((unsigned)host);
		if (!c) {
			printf("rescan: no controller host%llu\n", host);
			return 1;
		}
		n = vscsi_rescan(c);
	} else {
		n = vscsi_rescan_all();
	}
	if (n < 0) {
		printf("rescan: %s\n", vscsi_strerror(n));
		return 1;
	}
	printf("rescan: %d LUN%s present\n", n, n == 1 ? "" : "s");
	return 0;
}

static const struct {
	const char *word;
	enum vscsi_tmf tmf;
} tmf_words[] = {
	{ "abort", VSCSI_TMF_ABORT_TASK },
	{ "abort-set", VSCSI_TMF_ABORT_TASK_SET },
	{ "clear-aca", VSCSI_TMF_CLEAR_ACA },
	{ "clear-set", VSCSI_TMF_CLEAR_TASK_SET },
	{ "target-reset", VSCSI_TMF_I_T_NEXUS_RESET },
	{ "lun-reset", VSCSI_TMF_LOGICAL_UNIT_RESET },
	{ "query", VSCSI_TMF_QUERY_TASK },
	{ "query-set", VSCSI_TMF_QUERY_TASK_SET },
};

/* tmf DEVICE|H:C:T:L FUNCTION [TAG] */
int cmd_tmf(int argc, char **argv)
{
	if (argc < 3 || argc > 4)
		return shell_usage(argv[0]);
	struct vscsi_ctrl *ctrl = NULL;
	unsigned target = 0, lunno = 0;
	struct vscsi_lun *lun = vscsi_lun_find(argv[1]);
	const char *dev = argv[1];
	if (!strncmp(dev, "/dev/", 5))
		lun = vscsi_lun_find(dev + 5);
	if (lun) {
		const struct vscsi_lun_info *li = vscsi_lun_info(lun);
		ctrl = vscsi_lun_ctrl(lun);
		target = li->target;
		lunno = li->lun;
	} else {
		unsigned h, c, t, l;
		char extra;
		if (sscanf(dev, "%u:%u:%u:%u%c", &h, &c, &t, &l, &extra) != 4 ||
		    !(ctrl = vscsi_ctrl_by_host(h))) {
			printf("tmf: no such device '%s'\n", dev);
			return 1;
		}
		target = t;
		lunno = l;
	}
	int which = -1;
	for (size_t i = 0; i < sizeof(tmf_words) / sizeof(tmf_words[0]); i++)
		if (!strcmp(argv[2], tmf_words[i].word))
			which = (int)i;
	if (which < 0) {
		printf("tmf: unknown function '%s' (abort abort-set clear-aca clear-set "
		       "target-reset lun-reset query query-set)\n", argv[2]);
		return 2;
	}
	unsigned long long tag = 0;
	if (argc == 4 && !shell_parse_u64(argv[0], argv[3], &tag))
		return 2;
	uint8_t resp = 0xff;
	int err = vscsi_tmf(ctrl, target, lunno, tmf_words[which].tmf, tag, 0, &resp);
	if (err) {
		printf("tmf: %s failed: %s\n", vscsi_tmf_name(tmf_words[which].tmf),
		       vscsi_strerror(err));
		return 1;
	}
	printf("tmf: %s -> %s (%u)\n", vscsi_tmf_name(tmf_words[which].tmf),
	       vscsi_response_name(resp), resp);
	return resp == VSCSI_S_FUNCTION_COMPLETE || resp == VSCSI_S_FUNCTION_SUCCEEDED ? 0 : 1;
}

/* State of one READ sent by tmf-inflight. */
struct inflight {
	struct vscsi_cmd cmd;
	struct vscsi_sg sg;
	uint8_t cdb[10];
	uint8_t sense[32];
	bool done;
	unsigned completions; /* must end at exactly 1 */
};

static void inflight_done(struct vscsi_cmd *cmd)
{
	struct inflight *r = cmd->arg;
	r->completions++;
	r->done = true;
}

/*
 * tmf-inflight DEV FUNCTION N: send N one-block READs without waiting,
 * then the TMF (ABORT TASK and QUERY TASK name the last READ's tag), then
 * wait for every READ and print how each ended.  With a throttled backend
 * the READs are still queued in QEMU when the TMF arrives, so this shows
 * the TMF acting on real in-flight commands.
 */
int cmd_tmf_inflight(int argc, char **argv)
{
	if (argc != 4)
		return shell_usage(argv[0]);
	const char *dev = strncmp(argv[1], "/dev/", 5) ? argv[1] : argv[1] + 5;
	struct vscsi_lun *lun = vscsi_lun_find(dev);
	if (!lun) {
		printf("tmf-inflight: no such device '%s'\n", argv[1]);
		return 1;
	}
	const struct vscsi_lun_info *li = vscsi_lun_info(lun);
	int which = -1;
	for (size_t i = 0; i < sizeof(tmf_words) / sizeof(tmf_words[0]); i++)
		if (!strcmp(argv[2], tmf_words[i].word))
			which = (int)i;
	bool device_reset = !strcmp(argv[2], "device-reset");
	unsigned long long n;
	if ((which < 0 && !device_reset) || !shell_parse_u64(argv[0], argv[3], &n) || n < 1 ||
	    n > 32) {
		printf("tmf-inflight: need a TMF name (or device-reset) and 1..32 commands\n");
		return 2;
	}
	static struct inflight reqs[32];
	static uint8_t bufs[32][4096];
	memset(reqs, 0, sizeof(reqs));
	for (unsigned i = 0; i < n; i++) {
		struct inflight *r = &reqs[i];
		r->cdb[0] = 0x28; /* READ(10) of LBA i, one block */
		r->cdb[5] = (uint8_t)i;
		r->cdb[8] = 1;
		r->sg.addr = bufs[i];
		r->sg.len = li->block_size;
		r->cmd.cdb = r->cdb;
		r->cmd.cdb_len = 10;
		r->cmd.dir = VSCSI_DATA_FROM_DEVICE;
		r->cmd.sg = &r->sg;
		r->cmd.sg_count = 1;
		r->cmd.sense = r->sense;
		r->cmd.sense_cap = sizeof(r->sense);
		r->cmd.queue = VSCSI_QUEUE_ANY;
		r->cmd.done = inflight_done;
		r->cmd.arg = r;
		int err = vscsi_lun_submit(lun, &r->cmd, 0);
		if (err) {
			printf("tmf-inflight: submit %u failed: %s\n", i, vscsi_strerror(err));
			n = i;
			break;
		}
	}
	if (!n) {
		printf("tmf-inflight: nothing was sent\n");
		return 1;
	}
	struct vscsi_ctrl *ctrl = vscsi_lun_ctrl(lun);
	uint8_t resp = 0xff;
	/* The last READ is the one most surely still queued behind the others. */
	uint64_t tag = reqs[n - 1].cmd.tag;
	int err;
	if (device_reset) {
		printf("tmf-inflight: %llu READs sent, resetting the whole device\n", n);
		err = vscsi_ctrl_reset(ctrl);
		printf("reset: %s\n", err ? vscsi_strerror(err) : "done");
		goto wait;
	}
	printf("tmf-inflight: %llu READs sent, TMF names tag 0x%llx (cmd %llu)\n", n,
	       (unsigned long long)tag, n - 1);
	err = vscsi_tmf(ctrl, li->target, li->lun, tmf_words[which].tmf, tag, 0, &resp);
	if (err)
		printf("tmf: %s failed: %s\n", vscsi_tmf_name(tmf_words[which].tmf),
		       vscsi_strerror(err));
	else
		printf("tmf: %s -> %s (%u)\n", vscsi_tmf_name(tmf_words[which].tmf),
		       vscsi_response_name(resp), resp);
wait:;
	uint64_t deadline = clock_ns() + 60ull * 1000000000ull;
	for (;;) {
		unsigned pending = 0;
		for (unsigned i = 0; i < n; i++)
			pending += !reqs[i].done;
		if (!pending)
			break;
		if (clock_ns() > deadline) {
			printf("tmf-inflight: %u commands never completed\n", pending);
			return 1;
		}
		vscsi_poll(ctrl);
	}
	/* Let any stray second completion show up before judging. */
	for (int i = 0; i < 100; i++)
		vscsi_poll(ctrl);
	for (unsigned i = 0; i < n; i++)
		if (reqs[i].completions != 1) {
			printf("tmf-inflight: cmd %u completed %u times\n", i, reqs[i].completions);
			err = -VSCSI_EPROTO;
		}
	for (unsigned i = 0; i < n; i++)
		printf("cmd %u tag 0x%llx: response %s status 0x%02x result %s\n", i,
		       (unsigned long long)reqs[i].cmd.tag, vscsi_response_name(reqs[i].cmd.response),
		       reqs[i].cmd.status, reqs[i].cmd.result ? vscsi_strerror(reqs[i].cmd.result)
							      : "ok");
	return err ? 1 : 0;
}

/* an DEV query|subscribe [MASK]: asynchronous notification control requests
 * (virtio 1.2 §5.6.6.2.2); QEMU supports none and answers event_actual 0. */
int cmd_an(int argc, char **argv)
{
	if (argc < 3 || argc > 4)
		return shell_usage(argv[0]);
	const char *dev = strncmp(argv[1], "/dev/", 5) ? argv[1] : argv[1] + 5;
	struct vscsi_lun *lun = vscsi_lun_find(dev);
	if (!lun) {
		printf("an: no such device '%s'\n", argv[1]);
		return 1;
	}
	bool subscribe = !strcmp(argv[2], "subscribe");
	if (!subscribe && strcmp(argv[2], "query")) {
		printf("an: unknown request '%s' (query or subscribe)\n", argv[2]);
		return 2;
	}
	unsigned long long mask = VSCSI_AN_MEDIA_CHANGE | VSCSI_AN_OPERATIONAL_CHANGE;
	if (argc == 4 && !shell_parse_u64(argv[0], argv[3], &mask))
		return 2;
	const struct vscsi_lun_info *li = vscsi_lun_info(lun);
	uint32_t actual = 0;
	uint8_t resp = 0xff;
	int err = subscribe ? vscsi_an_subscribe(vscsi_lun_ctrl(lun), li->target, li->lun,
						 (uint32_t)mask, &actual, &resp)
			    : vscsi_an_query(vscsi_lun_ctrl(lun), li->target, li->lun, (uint32_t)mask,
					     &actual, &resp);
	if (err) {
		printf("an: %s failed: %s\n", argv[2], vscsi_strerror(err));
		return 1;
	}
	printf("an: %s events 0x%llx -> %s (%u), event_actual 0x%x\n", argv[2], mask,
	       vscsi_response_name(resp), resp, actual);
	return resp == VSCSI_S_OK ? 0 : 1;
}
