/*
 * commands.h - the shell's command table.  Each command family lives in
 * its own cmd_*.c file and is listed once in commands.c.
 */
#ifndef VSCSI_BOOT_COMMANDS_H
#define VSCSI_BOOT_COMMANDS_H

#include <stdbool.h>

struct shell_command {
	const char *name;
	const char *usage; /* arguments, e.g. "[-s] [DEVICE]" */
	const char *help;  /* one line */
	int (*run)(int argc, char **argv); /* exit status, 0 = success */
};

const struct shell_command *shell_find_command(const char *name);
int shell_run_command(const char *line);
/* Print "usage: NAME USAGE" and return 2, for bad arguments. */
int shell_usage(const char *name);

/* Command implementations, one family per file. */
int cmd_help(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_sleep(int argc, char **argv);
int cmd_poweroff(int argc, char **argv);
int cmd_crash(int argc, char **argv);
int cmd_lspci(int argc, char **argv);
/* cmd_scsi.c */
int cmd_virtio(int argc, char **argv);
int cmd_lsscsi(int argc, char **argv);
int cmd_lsblk(int argc, char **argv);
int cmd_byid(int argc, char **argv);
int cmd_rescan(int argc, char **argv);
int cmd_tmf(int argc, char **argv);
int cmd_tmf_inflight(int argc, char **argv);
int cmd_an(int argc, char **argv);
/* cmd_bench.c */
int cmd_bench(int argc, char **argv);
/* cmd_blk.c */
int cmd_dd(int argc, char **argv);
int cmd_md5sum(int argc, char **argv);
int cmd_hexdump(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_blockdev(int argc, char **argv);
int cmd_eject(int argc, char **argv);
/* cmd_discard.c */
int cmd_blkdiscard(int argc, char **argv);
/* cmd_sg.c */
int cmd_sg_raw(int argc, char **argv);
int cmd_sg_inq(int argc, char **argv);
int cmd_sg_readcap(int argc, char **argv);
int cmd_sg_persist(int argc, char **argv);
int cmd_sg_policy(int argc, char **argv);

#endif
