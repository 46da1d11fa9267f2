/*
 * shell.c - the test kernel's command shell on the serial console.
 *
 * Interactive mode reads lines with simple editing (backspace, Ctrl-U to
 * erase the line, Ctrl-C to drop it) after the prompt "vscsi> ".  Script
 * mode runs the kernel command line "cmd1; cmd2; ..." in order and returns
 * 0 only if every command succeeded; kernel_main then powers off with that
 * status, so a test reads the outcome from QEMU's exit code.
 */
#include <stdio.h>
#include <string.h>

#include "fs/blkdev.h"
#include "fs/console.h"
#include "host/drivers.h"
#include "kernel/boot.h"
#include "shell/commands.h"
#include "vscsi/vscsi.h"

#define LINE_MAX_LEN 512
#define ARGS_MAX 64

/*
 * Split one command into words.  Words are separated by blanks; "..." and
 * '...' group blanks into a word.  Returns the word count, or -1 with
 * *error set when the command is malformed.
 */
static int split_words(char *s, char **argv, int max, const char **error)
{
	int argc = 0;
	char *out = s;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (argc == max) {
			*error = "too many arguments";
			return -1;
		}
		argv[argc++] = out;
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '"' || *s == '\'') {
				char q = *s++;
				while (*s && *s != q)
					*out++ = *s++;
				if (*s != q) {
					*error = "unterminated quote";
					return -1;
				}
				s++;
			} else {
				*out++ = *s++;
			}
		}
		if (*s)
			s++;
		*out++ = 0;
	}
	return argc;
}

/* Run one command line (no ';' handling).  Returns its exit status. */
int shell_run_command(char *line)
{
	char *argv[ARGS_MAX + 1];
	const char *error = NULL;
	int argc = split_words(line, argv, ARGS_MAX, &error);
	if (argc < 0) {
		printf("vscsi: syntax error: %s\n", error);
		return 2;
	}
	if (argc == 0)
		return 0;
	argv[argc] = NULL;
	const struct shell_command *cmd = shell_find_command(argv[0]);
	if (!cmd) {
		printf("vscsi: %s: command not found (try 'help')\n", argv[0]);
		return 127;
	}
	int st = cmd->run(argc, argv);
	fflush(stdout);
	return st;
}

/*
 * Split a script at ';' outside quotes and check it is well formed before
 * running anything: a script with a syntax error runs no command at all.
 */
static int split_script(char *script, char **cmds, int max, const char **error)
{
	int n = 0;
	char quote = 0;
	char *start = script;
	for (char *p = script;; p++) {
		if (quote) {
			if (!*p) {
				*error = "unterminated quote";
				return -1;
			}
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '"' || *p == '\'') {
			quote = *p;
			continue;
		}
		if (*p == ';' || !*p) {
			bool end = !*p;
			*p = 0;
			if (n == max) {
				*error = "too many commands";
				return -1;
			}
			cmds[n++] = start;
			start = p + 1;
			if (end)
				break;
		}
	}
	return n;
}

static int run_script(const char *cmdline)
{
	static char script[4096];
	if (strlen(cmdline) >= sizeof(script)) {
		printf("vscsi: command line too long (%u bytes, at most %u)\n",
		       (unsigned)strlen(cmdline), (unsigned)sizeof(script) - 1);
		return 2;
	}
	strcpy(script, cmdline);
	char *cmds[128];
	const char *error = NULL;
	int n = split_script(script, cmds, 128, &error);
	if (n < 0) {
		printf("vscsi: malformed command line: %s\n", error);
		return 2;
	}
	int failed = 0;
	for (int i = 0; i < n; i++) {
		char *c = cmds[i];
		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c)
			continue;
		printf("vscsi> %s\n", c);
		int st = shell_run_command(c);
		if (st != 0) {
			printf("vscsi: command failed with status %d: %s\n", st, c);
			failed++;
		}
	}
	printf("vscsi: script done, %d of %d commands failed\n", failed, n);
	if (drivers_probe_failures()) {
		printf("vscsi: %d controller%s failed to come up\n", drivers_probe_failures(),
		       drivers_probe_failures() == 1 ? "" : "s");
		return 1;
	}
	return failed ? 1 : 0;
}

/* Read one line with editing.  Returns its length. */
static int read_line(char *buf, int size)
{
	int len = 0;
	for (;;) {
		int c = console_getc();
		if (c == '\r' || c == '\n') {
			console_puts("\r\n");
			buf[len] = 0;
			return len;
		}
		if (c == 0x7f || c == 0x08) {
			if (len) {
				len--;
				console_puts("\b \b");
			}
		} else if (c == 0x15) { /* Ctrl-U */
			for (; len; len--)
				console_puts("\b \b");
		} else if (c == 0x03) { /* Ctrl-C */
			console_puts("^C\r\n");
			len = 0;
			buf[0] = 0;
			return 0;
		} else if (c >= 0x20 && c < 0x7f && len < size - 1) {
			buf[len++] = (char)c;
			console_putc((char)c);
		}
	}
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/*
 * Take the leading `vscsi.KEY=VALUE` words (driver options) off the
 * command line.  Returns the rest, or NULL after a bad option.
 */
static const char *take_options(const char *cmdline)
{
	static char word[128];
	const char *p = cmdline;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "vscsi.", 6))
			return p;
		size_t n = strcspn(p, " \t;");
		if (n >= sizeof(word)) {
			printf("vscsi: option too long\n");
			return NULL;
		}
		memcpy(word, p, n);
		word[n] = 0;
		if (drivers_parse_option(word))
			return NULL;
		p += n;
	}
}

static void poll_drivers(void)
{
	vscsi_poll_all();
}

/* Before the first command: the controllers, their device files, and
 * driver polling while the console waits for input. */
static void start_drivers(void)
{
	drivers_start();
	/* /dev/sdX and /dev/srN for newlib's open/read/write/ioctl. */
	blkdev_init();
	console_set_idle(poll_drivers);
}

int app_main(const char *cmdline)
{
	if (!cmdline)
		cmdline = "";
	const char *script = take_options(cmdline);
	if (!script) {
		printf("vscsi: malformed command line: bad driver option\n");
		return 2;
	}
	start_drivers();
	if (!blank(script))
		return run_script(script);

	static char line[LINE_MAX_LEN];
	printf("Type 'help' for the list of commands.\n");
	for (;;) {
		printf("vscsi> ");
		fflush(stdout);
		read_line(line, sizeof(line));
		/* Interactive lines may hold several commands too. */
		char *cmds[32];
		const char *error = NULL;
		int n = split_script(line, cmds, 32, &error);
		if (n < 0) {
			printf("vscsi: syntax error: %s\n", error);
			continue;
		}
		for (int i = 0; i < n; i++)
			shell_run_command(cmds[i]);
	}
}
