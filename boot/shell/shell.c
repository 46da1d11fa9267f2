/*
 * shell.c - the test kernel's command shell on the serial console.
 *
 * Interactive mode reads lines with simple editing after the prompt
 * "vscsi> ": backspace, Ctrl-U to erase the line, Ctrl-C to drop it; a tab
 * separates words as a blank does (and is kept inside quotes); the escape
 * sequences of cursor and function keys are swallowed whole.  A line
 * longer than the line buffer is refused whole, with a message: nothing of
 * it runs.  Script mode runs the kernel command line "cmd1; cmd2; ..." in
 * order, whatever its length, and returns 0 only if every command
 * succeeded; kernel_main then powers off with that status, so a test reads
 * the outcome from QEMU's exit code.
 *
 * Ctrl-C while a command runs stops it (fs/console.h): the command ends
 * with status 130 as under bash, and the rest of the line (or of the
 * script) is not run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/blkdev.h"
#include "fs/console.h"
#include "host/drivers.h"
#include "kernel/boot.h"
#include "shell/commands.h"
#include "vscsi/blk.h"
#include "vscsi/vscsi.h"

/* Characters of an interactive line, at most (the buffer holds one more). */
#define LINE_MAX_CHARS 4095

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Split one command into words, in place.  Words are separated by blanks;
 * "..." and '...' group blanks into a word.  Returns the word count (argv
 * has room for strlen(s) / 2 + 1 words plus the NULL), or -1 with *error
 * set when the command is malformed.
 */
static int split_words(char *s, char **argv, const char **error)
{
	int argc = 0;
	char *out = s;
	while (*s) {
		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		argv[argc++] = out;
		while (*s && !is_blank(*s)) {
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

/* Run one command (no ';' handling); `line` is left as it is.  Returns
 * its exit status. */
int shell_run_command(const char *line)
{
	/* The words' pointers, then a copy of the line they point into; a word
	 * takes at least one character and one separator. */
	size_t len = strlen(line), nptr = len / 2 + 2;
	char **argv = malloc(nptr * sizeof *argv + len + 1);
	if (!argv) {
		printf("vscsi: out of memory for the command's words\n");
		return 2;
	}
	char *words = (char *)(argv + nptr);
	memcpy(words, line, len + 1);
	const char *error = NULL;
	int argc = split_words(words, argv, &error);
	int st = 0;
	if (argc < 0) {
		printf("vscsi: syntax error: %s\n", error);
		st = 2;
	} else if (argc > 0) {
		argv[argc] = NULL;
		const struct shell_command *cmd = shell_find_command(argv[0]);
		if (!cmd) {
			printf("vscsi: %s: command not found (try 'help')\n", argv[0]);
			st = 127;
		} else {
			console_command_begin();
			st = cmd->run(argc, argv);
			fflush(stdout);
			console_command_end();
		}
	}
	free(argv);
	return st;
}

/* Commands in a script or line: ';' outside quotes, plus one. */
static size_t count_commands(const char *s)
{
	size_t n = 1;
	char quote = 0;
	for (; *s; s++) {
		if (quote)
			quote = *s == quote ? 0 : quote;
		else if (*s == '"' || *s == '\'')
			quote = *s;
		else if (*s == ';')
			n++;
	}
	return n;
}

/*
 * Split a script at ';' outside quotes (cmds has count_commands() room)
 * and check it is well formed before running anything: a script with a
 * syntax error runs no command at all.
 */
static int split_script(char *script, char **cmds, const char **error)
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
			cmds[n++] = start;
			start = p + 1;
			if (end)
				break;
		}
	}
	return n;
}

/*
 * Split `text` (modified) into commands: the array, malloc'ed, or NULL
 * after printing why (`what` names the text in the message).
 */
static char **split_commands(char *text, const char *what, int *n)
{
	char **cmds = malloc(count_commands(text) * sizeof *cmds);
	if (!cmds) {
		printf("vscsi: out of memory for the %s's commands\n", what);
		return NULL;
	}
	const char *error = NULL;
	*n = split_script(text, cmds, &error);
	if (*n < 0) {
		printf("vscsi: malformed %s: %s\n", what, error);
		free(cmds);
		return NULL;
	}
	return cmds;
}

static int run_script(const char *cmdline)
{
	size_t len = strlen(cmdline);
	char *script = malloc(len + 1);
	if (!script) {
		printf("vscsi: no memory for a command line of %lu bytes: nothing was run\n",
		       (unsigned long)len);
		return 2;
	}
	memcpy(script, cmdline, len + 1);
	int n;
	char **cmds = split_commands(script, "command line", &n);
	if (!cmds) {
		free(script);
		return 2;
	}
	int failed = 0;
	bool interrupted = false;
	for (int i = 0; i < n && !interrupted; i++) {
		char *c = cmds[i];
		while (is_blank(*c))
			c++;
		if (!*c)
			continue;
		printf("vscsi> %s\n", c);
		int st = shell_run_command(c);
		if (st != 0) {
			printf("vscsi: command failed with status %d: %s\n", st, c);
			failed++;
		}
		if (st == CONSOLE_INTERRUPTED_STATUS) {
			printf("vscsi: interrupted: the rest of the script is not run\n");
			interrupted = true;
		}
	}
	printf("vscsi: script done, %d of %d commands failed\n", failed, n);
	free(cmds);
	free(script);
	if (drivers_probe_failures()) {
		printf("vscsi: %d controller%s failed to come up\n", drivers_probe_failures(),
		       drivers_probe_failures() == 1 ? "" : "s");
		return 1;
	}
	return failed ? 1 : 0;
}

/* --- the line editor ------------------------------------------------------ */

#define KEY_CTRL_C 0x03
#define KEY_BS 0x08
#define KEY_CTRL_U 0x15
#define KEY_ESC 0x1b
#define KEY_DEL 0x7f

/* An escape sequence being swallowed: ESC, then CSI ("ESC [" parameters
 * and one final byte 0x40..0x7e) or SS3 ("ESC O" and one byte), as
 * terminals send for cursor and function keys (ECMA-48 §5.4). */
enum esc_state { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

static bool swallow_escape(enum esc_state *st, int c)
{
	switch (*st) {
	case ESC_NONE:
		if (c != KEY_ESC)
			return false;
		*st = ESC_START;
		return true;
	case ESC_START:
		*st = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
		return true;
	case ESC_CSI:
		if (c >= 0x40 && c <= 0x7e)
			*st = ESC_NONE;
		return true;
	case ESC_SS3:
		*st = ESC_NONE;
		return true;
	}
	return false;
}

/*
 * Read one line with editing into buf (LINE_MAX_CHARS + 1 bytes).
 * Characters typed beyond the buffer are counted, not kept (and not
 * echoed; the bell rings once): such a line is refused at Enter.  Returns
 * the line's length, 0 for a line dropped with Ctrl-C, or -1 for a line
 * that did not fit (after saying so).
 */
static long read_line(char *buf)
{
	size_t len = 0, extra = 0;
	enum esc_state esc = ESC_NONE;
	for (;;) {
		int c = console_getc();
		if (swallow_escape(&esc, c))
			continue;
		if (c == '\r' || c == '\n') {
			console_puts("\r\n");
			buf[len] = 0;
			if (!extra)
				return (long)len;
			printf("vscsi: line too long (%lu characters, at most %d): nothing of it "
			       "was run\n", (unsigned long)(len + extra), LINE_MAX_CHARS);
			return -1;
		}
		if (c == KEY_DEL || c == KEY_BS) {
			if (extra) {
				extra--;
			} else if (len) {
				len--;
				console_puts("\b \b");
			}
		} else if (c == KEY_CTRL_U) {
			for (; len; len--)
				console_puts("\b \b");
			extra = 0;
		} else if (c == KEY_CTRL_C) {
			console_puts("^C\r\n");
			buf[0] = 0;
			return 0;
		} else if ((c >= 0x20 && c < 0x7f) || c == '\t') {
			if (len == LINE_MAX_CHARS) {
				if (!extra++)
					console_putc('\a');
				continue;
			}
			buf[len++] = (char)c;
			/* A tab is echoed as one blank, so backspace erases it. */
			console_putc(c == '\t' ? ' ' : (char)c);
		}
		/* Other control keys do nothing. */
	}
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!is_blank(*s))
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
		while (is_blank(*p))
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

/* The idle hook: events (hot-plug, capacity), and the removable-medium
 * poll QEMU's CD-ROMs need (they raise no event on a change). */
static void poll_drivers(void)
{
	vscsi_poll_all();
	vscsi_blk_media_poll();
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

/* One interactive line: its commands in order, until one is interrupted. */
static void run_line(char *line)
{
	int n;
	char **cmds = split_commands(line, "line", &n);
	if (!cmds)
		return;
	for (int i = 0; i < n; i++)
		if (shell_run_command(cmds[i]) == CONSOLE_INTERRUPTED_STATUS)
			break;
	free(cmds);
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

	static char line[LINE_MAX_CHARS + 1];
	printf("Type 'help' for the list of commands.\n");
	for (;;) {
		printf("vscsi> ");
		fflush(stdout);
		if (read_line(line) > 0)
			run_line(line);
	}
}
