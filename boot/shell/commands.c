/*
 * commands.c - the command table and the basic commands (help, echo,
 * sleep, poweroff, lspci).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/console.h"
#include "kernel/boot.h"
#include "kernel/clock.h"
#include "kernel/cpu.h"
#include "shell/args.h"
#include "shell/commands.h"
#include "shell/pci_list.h"
#include "vscsi/blk.h"
#include "vscsi/vscsi.h"

static const struct shell_command commands[] = {
	{ "help", "[COMMAND]", "list the commands, or show one command's usage", cmd_help },
	{ "echo", "[WORD...]", "print the words", cmd_echo },
	{ "sleep", "SECONDS", "wait (decimal fractions allowed, e.g. 0.5)", cmd_sleep },
	{ "poweroff", "[STATUS]", "power the machine off (QEMU exits 33 for status 0)", cmd_poweroff },
	{ "crash", "", "test aid: raise a CPU exception (invalid opcode); the run ends with QEMU "
	  "status 37", cmd_crash },
	{ "lspci", "", "list PCI functions (like lspci -n)", cmd_lspci },
	{ "virtio", "", "show each controller's transport, features, queues, interrupts", cmd_virtio },
	{ "lsscsi", "[-g] [-i] [-s] [-w]", "list SCSI devices as [H:C:T:L] (like lsscsi; -g: /dev/sgN)", cmd_lsscsi },
	{ "lsblk", "", "list block devices: size, block size, type, read-only", cmd_lsblk },
	{ "by-id", "", "list stable names from VPD 83h/80h (like /dev/disk/by-id)", cmd_byid },
	{ "rescan", "[HOST]", "scan all controllers, or one (host0, host1 ...)", cmd_rescan },
	{ "tmf", "DEV abort|abort-set|clear-aca|clear-set|target-reset|lun-reset|query|query-set [TAG]",
	  "send a task management function", cmd_tmf },
	{ "tmf-inflight", "DEV FUNCTION|device-reset N", "send N READs, then the TMF while they are in flight; show how each ended",
	  cmd_tmf_inflight },
	{ "an", "DEV query|subscribe [MASK]", "asynchronous notification query or subscribe (control queue)",
	  cmd_an },
	{ "bench", "[DEV] [-t SECONDS] [-q QD,...]", "4 KiB random-read IOPS and latency per queue depth",
	  cmd_bench },
	/* cmd_blk.c */
	{ "dd", "if=FILE of=FILE [bs=N] [count=N] [skip=N] [seek=N] [conv=fsync] [iflag=..] [oflag=..]",
	  "copy blocks between devices (like coreutils dd)", cmd_dd },
	{ "md5sum", "FILE...", "MD5 of whole devices (like coreutils md5sum)", cmd_md5sum },
	{ "hexdump", "[-C] [-v] [-s OFFSET] [-n LENGTH] FILE", "dump a byte range (like hexdump -C)",
	  cmd_hexdump },
	{ "sync", "[FILE...]", "flush the write cache of every disk, or of the given ones", cmd_sync },
	{ "blockdev", "--getsz|--getsize64|--getss|--getpbsz|--getro|--flushbufs... DEVICE...",
	  "sizes and flags of block devices through their ioctls (like util-linux blockdev)",
	  cmd_blockdev },
	{ "eject", "[-t] [DEVICE]", "open the CD tray (-t: close it); default the first /dev/sr*",
	  cmd_eject },
	/* cmd_discard.c */
	{ "blkdiscard", "[-v] [-f] [-o OFFSET] [-l LENGTH] [-p STEP] [-s] DEVICE",
	  "discard a byte range of a disk: UNMAP / WRITE SAME (like util-linux blkdiscard)",
	  cmd_blkdiscard },
	/* cmd_sg.c */
	{ "sg_raw", "[-r LEN] [-s LEN [-i HEX|/dev/X]] [-R] [-t SEC] [-v] DEVICE CDB...",
	  "send any CDB through SG_IO (like sg3_utils sg_raw)", cmd_sg_raw },
	{ "sg_inq", "[-p PAGE] [-H] DEVICE", "standard INQUIRY, or a VPD page (like sg_inq)", cmd_sg_inq },
	{ "sg_readcap", "[-l] DEVICE", "READ CAPACITY (10) or (16) (like sg_readcap)", cmd_sg_readcap },
	{ "sg_persist", "[-k|-r|-c|-s] | -o -G|-R|-L|-C|-P|-I [-K KEY] [-S KEY] [-T TYPE] DEVICE",
	  "persistent reservations (like sg_persist)", cmd_sg_persist },
	{ "sg_policy", "DEVICE [filtered|unfiltered|allow OP[/SA]|deny OP[/SA]|clear]...",
	  "show or set the device's SG_IO command filter", cmd_sg_policy },
};

const struct shell_command *shell_find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int shell_usage(const char *name)
{
	const struct shell_command *c = shell_find_command(name);
	printf("usage: %s %s\n", name, c ? c->usage : "");
	return 2;
}

int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return shell_usage(argv[0]);
	if (argc == 2) {
		const struct shell_command *c = shell_find_command(argv[1]);
		if (!c) {
			printf("help: no command '%s'\n", argv[1]);
			return 1;
		}
		printf("usage: %s %s\n  %s\n", c->name, c->usage, c->help);
		return 0;
	}
	printf("Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-10s %-28s %s\n", commands[i].name, commands[i].usage, commands[i].help);
	return 0;
}

int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "");
	printf("\n");
	return 0;
}

/* Seconds with up to six decimals, parsed without floating point, as
 * microseconds; false when `s` is not such a number or is over an hour. */
static bool parse_seconds(const char *s, uint64_t *us)
{
	unsigned long long whole = 0, frac = 0;
	int digits = 0;
	if (!*s)
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		whole = whole * 10 + (unsigned)(*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (digits < 6)
				frac = frac * 10 + (unsigned)(*s - '0'), digits++;
	if (*s || whole > 3600)
		return false;
	for (; digits < 6; digits++)
		frac *= 10;
	*us = whole * 1000000ull + frac;
	return true;
}

int cmd_sleep(int argc, char **argv)
{
	if (argc != 2)
		return shell_usage(argv[0]);
	uint64_t us;
	if (!parse_seconds(argv[1], &us)) {
		printf("sleep: invalid time interval '%s' (seconds, at most 3600)\n", argv[1]);
		return 2;
	}
	uint64_t end = clock_ns() + us * 1000;
	/* An idle wait: keep the driver serviced (events, hot-plug, media). */
	while (clock_ns() < end) {
		if (console_interrupted())
			return CONSOLE_INTERRUPTED_STATUS;
		vscsi_poll_all();
		vscsi_blk_media_poll();
		cpu_relax();
	}
	return 0;
}

int cmd_poweroff(int argc, char **argv)
{
	unsigned long long st = 0;
	if (argc > 2)
		return shell_usage(argv[0]);
	if (argc == 2 && !shell_parse_u64(argv[0], argv[1], &st))
		return 2;
	printf("vscsi: powering off\n");
	kpoweroff((int)st);
}

/* A test aid: the CPU exception path (boot/arch: a register dump, then the
 * run ends with the panic status, QEMU 37) on demand. */
int cmd_crash(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage(argv[0]);
	printf("crash: raising an invalid-opcode exception\n");
	fflush(stdout);
	__builtin_trap();
}

int cmd_lspci(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage(argv[0]);
	pci_print_list();
	return 0;
}
