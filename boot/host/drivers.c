/*
 * drivers.c - bring the vscsi driver up in the test kernel: find every
 * virtio-scsi function (PCI and virtio-mmio), probe and scan it, and print
 * what was found, as Linux does at boot.  The shell calls drivers_start()
 * once, before its first command; it also asks for the disks' write caches
 * to be flushed before the machine powers off.
 *
 * Driver options come from the command line as `vscsi.KEY=VALUE` words
 * before the first command (like Linux module parameters):
 *   vscsi.intr=auto|msix|intx|poll   how completions are delivered
 *   vscsi.legacy=1                   drive transitional devices via the legacy BAR
 *   vscsi.noscan=1                   probe controllers without scanning
 *   vscsi.verbose=N                  0 quiet, 1 a line per LUN (default), 2 debug
 *   vscsi.veto=0xBITS                virtio feature bits not to accept
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/drivers.h"
#include "host/glue.h"
#include "host/virtio_mmio_scan.h"
#include "kernel/clock.h"
#include "kernel/pci.h"
#include "kernel/power.h"
#include "vscsi/blk.h"
#include "vscsi/vscsi.h"

static struct vscsi_opts opts;
static bool opts_ready;
static int probe_failures;

static void opts_init(void)
{
	if (!opts_ready) {
		vscsi_opts_default(&opts);
		opts.verbose = 1;
		opts_ready = true;
	}
}

int drivers_parse_option(const char *word)
{
	opts_init();
	const char *eq = strchr(word, '=');
	if (strncmp(word, "vscsi.", 6) || !eq) {
		printf("vscsi: bad option '%s' (expected vscsi.KEY=VALUE)\n", word);
		return -1;
	}
	size_t klen = (size_t)(eq - word) - 6;
	const char *key = word + 6, *val = eq + 1;
	char *end;
	if (klen == 4 && !strncmp(key, "intr", 4)) {
		if (!strcmp(val, "auto"))
			opts.intr = VSCSI_INTR_AUTO;
		else if (!strcmp(val, "msix"))
			opts.intr = VSCSI_INTR_MSIX;
		else if (!strcmp(val, "intx"))
			opts.intr = VSCSI_INTR_INTX;
		else if (!strcmp(val, "poll"))
			opts.intr = VSCSI_INTR_POLL;
		else {
			printf("vscsi: vscsi.intr must be auto, msix, intx or poll, not '%s'\n", val);
			return -1;
		}
		return 0;
	}
	unsigned long long v = strtoull(val, &end, 0);
	if (!*val || *end) {
		printf("vscsi: option %s needs a number, not '%s'\n", word, val);
		return -1;
	}
	if (klen == 6 && !strncmp(key, "legacy", 6))
		opts.prefer_legacy = v != 0;
	else if (klen == 6 && !strncmp(key, "noscan", 6))
		opts.no_scan = v != 0;
	else if (klen == 7 && !strncmp(key, "verbose", 7))
		opts.verbose = (int)v;
	else if (klen == 4 && !strncmp(key, "veto", 4))
		opts.feature_veto = v;
	else {
		printf("vscsi: unknown option '%s'\n", word);
		return -1;
	}
	return 0;
}

static const char *type_name(uint8_t type)
{
	static const char *names[] = {
		"Direct-Access", "Sequential-Access", "Printer", "Processor",
		"Write-once", "CD-ROM", "Scanner", "Optical memory",
		"Medium Changer", "Communications", "Unknown (0xa)", "Unknown (0xb)",
		"RAID", "Enclosure", "Direct-Access-RBC", "Optical card",
		"Unknown (0x10)", "Object storage",
	};
	if (type < sizeof(names) / sizeof(names[0]))
		return names[type];
	return type == 0x1e ? "Well-known LU" : "No device";
}

/* "67.1 MB/64.0 MiB" as Linux's sd prints capacity. */
void format_capacity(uint64_t bytes, char *out, size_t size)
{
	static const char *dec[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	static const char *bin[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	uint64_t d = bytes * 10, b = bytes * 10;
	int i = 0, j = 0;
	while (d >= 10000 && i < 5)
		d /= 1000, i++;
	while (b >= 10240 && j < 5)
		b /= 1024, j++;
	snprintf(out, size, "%llu.%llu %s/%llu.%llu %s", (unsigned long long)d / 10,
		 (unsigned long long)d % 10, dec[i], (unsigned long long)b / 10,
		 (unsigned long long)b % 10, bin[j]);
}

void print_lun_found(const struct vscsi_lun_info *li)
{
	printf("scsi %u:%u:%u:%u: %-17s %-8s %-16s %-4s PQ: 0 ANSI: %u%s\n", li->host,
	       li->channel, li->target, li->lun, type_name(li->type), li->vendor, li->model,
	       li->rev, li->scsi_version, li->removable ? " (removable)" : "");
	if (!li->name[0])
		return;
	if (!li->medium) {
		printf("%s %u:%u:%u:%u: [%s] no medium\n", li->type == 5 ? "sr" : "sd", li->host,
		       li->channel, li->target, li->lun, li->name);
		return;
	}
	char cap[40];
	format_capacity(li->blocks * li->block_size, cap, sizeof(cap));
	printf("%s %u:%u:%u:%u: [%s] %llu %u-byte logical blocks: (%s)%s\n",
	       li->type == 5 ? "sr" : "sd", li->host, li->channel, li->target, li->lun, li->name,
	       (unsigned long long)li->blocks, li->block_size, cap,
	       li->read_only ? " write-protected" : "");
}

static void report_ctrl(struct vscsi_ctrl *c)
{
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(c, &ci);
	unsigned n = 0;
	if (opts.verbose >= 1)
		for (struct vscsi_lun *l = vscsi_ctrl_lun_next(c, NULL); l;
		     l = vscsi_ctrl_lun_next(c, l), n++)
			print_lun_found(vscsi_lun_info(l));
	else
		for (struct vscsi_lun *l = vscsi_ctrl_lun_next(c, NULL); l;
		     l = vscsi_ctrl_lun_next(c, l))
			n++;
	printf("vscsi: host%u at %s (%s, %u request queue%s): %u LUN%s, scan took %llu.%03llu ms\n",
	       ci.host, ci.location, ci.transport, ci.request_queues,
	       ci.request_queues == 1 ? "" : "s", n, n == 1 ? "" : "s",
	       (unsigned long long)(ci.last_scan_ns / 1000000),
	       (unsigned long long)(ci.last_scan_ns / 1000 % 1000));
}

static bool is_virtio_scsi(const struct pci_func *f)
{
	if (f->vendor != 0x1af4)
		return false;
	/* virtio 1.2 §4.1.2: 0x1040 + device type for modern devices; the
	 * transitional ID 0x1004 carries the type in the subsystem ID. */
	return f->device == 0x1048 || (f->device == 0x1004 && f->subsys_id == 8);
}

/* Before the power goes: what the disks acknowledged but hold only in
 * their write caches goes to the medium (SYNCHRONIZE CACHE on every disk
 * whose cache is on), as Linux's sd does at shutdown.  A failure is logged
 * by the driver; the run's status stays what the commands made it. */
static void flush_before_poweroff(void *arg)
{
	(void)arg;
	vscsi_blk_flush_all();
}

void drivers_start(void)
{
	opts_init();
	power_add_hook(flush_before_poweroff, NULL);
	uint64_t t0 = clock_ns();
	unsigned found = 0;
	for (unsigned i = 0; i < pci_count(); i++) {
		const struct pci_func *f = pci_get(i);
		if (!is_virtio_scsi(f))
			continue;
		found++;
		struct vscsi_pci_addr a = { f->segment, f->bus, f->dev, f->fn };
		struct vscsi_ctrl *c;
		int err = vscsi_probe_pci(kernel_glue(), a, &opts, &c);
		if (err) {
			printf("vscsi: %02x:%02x.%u: probe failed: %s\n", f->bus, f->dev, f->fn,
			       vscsi_strerror(err));
			probe_failures++;
			continue;
		}
		report_ctrl(c);
	}
	struct mmio_dev md[24];
	unsigned nm = mmio_scan_virtio(md, 24);
	for (unsigned i = 0; i < nm; i++) {
		if (md[i].device_id != 8)
			continue;
		found++;
		struct vscsi_ctrl *c;
		int err = vscsi_probe_mmio(kernel_glue(), md[i].base, md[i].gsi, &opts, &c);
		if (err) {
			printf("vscsi: mmio@0x%llx: probe failed: %s\n",
			       (unsigned long long)md[i].base, vscsi_strerror(err));
			probe_failures++;
			continue;
		}
		report_ctrl(c);
	}
	if (found)
		printf("vscsi: %u controller%s brought up in %llu ms\n", found - probe_failures,
		       found - probe_failures == 1 ? "" : "s",
		       (unsigned long long)((clock_ns() - t0) / 1000000));
	else
		printf("vscsi: no virtio-scsi controller found\n");
}

int drivers_probe_failures(void)
{
	return probe_failures;
}
