/*
 * syscalls.c - the system calls newlib leaves to its host: write, read,
 * open, close, lseek, fstat, isatty, ioctl, kill, getpid, _exit and
 * gettimeofday (sbrk is the kernel's, in kernel/newlib_heap.c).
 * Descriptors 0-2 are the serial console, the rest are device files from
 * devfs.c.
 *
 * newlib is built with MISSING_SYSCALL_NAMES, so it calls write, read...
 * without an underscore and reads errno from the global newlib defines.
 * fstat reports the console as a character device and isatty says yes, so
 * newlib line-buffers stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fs/devfs.h"
#include "fs/devfs_internal.h"
#include "kernel/boot.h"
#include "kernel/clock.h"
#include "kernel/cpu.h"
#include "kernel/serial.h"

#undef errno
extern int errno;

#define MAX_FDS 32
#define CONSOLE_FDS 3

static struct devfs_file fds[MAX_FDS];
static int fd_used[MAX_FDS];

static struct devfs_file *fd_file(int fd)
{
	if (fd < CONSOLE_FDS || fd >= MAX_FDS || !fd_used[fd]) {
		errno = EBADF;
		return NULL;
	}
	return &fds[fd];
}

static long fail(long err)
{
	errno = (int)-err;
	return -1;
}

/* ---- files ----------------------------------------------------------------- */
int open(const char *path, int flags, ...)
{
	struct devfs_node *n = path ? devfs_lookup(path) : NULL;
	if (!n)
		return (int)fail(-ENOENT);
	for (int fd = CONSOLE_FDS; fd < MAX_FDS; fd++) {
		if (fd_used[fd])
			continue;
		struct devfs_file *f = &fds[fd];
		memset(f, 0, sizeof *f);
		f->ops = n->ops;
		f->priv = n->priv;
		f->flags = flags;
		if (f->ops->open) {
			int r = f->ops->open(f);
			if (r < 0)
				return (int)fail(r);
		}
		fd_used[fd] = 1;
		return fd;
	}
	return (int)fail(-EMFILE);
}

int close(int fd)
{
	if (fd >= 0 && fd < CONSOLE_FDS)
		return 0;
	struct devfs_file *f = fd_file(fd);
	if (!f)
		return -1;
	int r = f->ops->close ? f->ops->close(f) : 0;
	fd_used[fd] = 0;
	return r < 0 ? (int)fail(r) : 0;
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t len)
{
	if (fd == 1 || fd == 2) {
		serial_write(buf, len);
		return (_READ_WRITE_RETURN_TYPE)len;
	}
	struct devfs_file *f = fd_file(fd);
	if (!f)
		return -1;
	if (!f->ops->write)
		return fail(-EBADF);
	long r = f->ops->write(f, buf, len);
	return r < 0 ? fail(r) : r;
}

/* Console input: wait for one character, then take whatever else is
 * already waiting.  CR becomes LF; no echo (the shell echoes). */
static long console_read(char *buf, size_t len)
{
	int c;
	size_t n = 0;
	if (!len)
		return 0;
	while ((c = serial_getc()) < 0)
		cpu_relax();
	do {
		buf[n++] = c == '\r' ? '\n' : (char)c;
	} while (n < len && (c = serial_getc()) >= 0);
	return (long)n;
}

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t len)
{
	if (fd == 0)
		return console_read(buf, len);
	struct devfs_file *f = fd_file(fd);
	if (!f)
		return -1;
	if (!f->ops->read)
		return fail(-EBADF);
	long r = f->ops->read(f, buf, len);
	return r < 0 ? fail(r) : r;
}

off_t lseek(int fd, off_t off, int whence)
{
	if (fd >= 0 && fd < CONSOLE_FDS)
		return fail(-ESPIPE);
	struct devfs_file *f = fd_file(fd);
	if (!f)
		return -1;
	if (f->ops->lseek) {
		long long r = f->ops->lseek(f, off, whence);
		return r < 0 ? fail(r) : (off_t)r;
	}
	long long pos;
	if (whence == SEEK_SET)
		pos = off;
	else if (whence == SEEK_CUR)
		pos = (long long)f->pos + off;
	else
		return fail(-EINVAL);
	if (pos < 0)
		return fail(-EINVAL);
	f->pos = (uint64_t)pos;
	return (off_t)pos;
}

int ioctl(int fd, unsigned long req, void *arg)
{
	struct devfs_file *f = fd_file(fd);
	if (!f)
		return -1;
	if (!f->ops->ioctl)
		return (int)fail(-ENOTTY);
	int r = f->ops->ioctl(f, req, arg);
	return r < 0 ? (int)fail(r) : r;
}

int fstat(int fd, struct stat *st)
{
	memset(st, 0, sizeof *st);
	if (fd >= 0 && fd < CONSOLE_FDS) {
		/* A character device that isatty(): stdout is line buffered. */
		st->st_mode = S_IFCHR;
		return 0;
	}
	struct devfs_file *f = fd_file(fd);
	if (!f)
		return -1;
	st->st_mode = S_IFBLK;
	st->st_blksize = 4096;
	if (f->ops->fstat) {
		int r = f->ops->fstat(f, st);
		if (r < 0)
			return (int)fail(r);
	}
	return 0;
}

int isatty(int fd)
{
	if (fd >= 0 && fd < CONSOLE_FDS)
		return 1;
	errno = fd_file(fd) ? ENOTTY : EBADF;
	return 0;
}

/* ---- process ------------------------------------------------------------ */
int kill(pid_t pid, int sig)
{
	(void)pid;
	(void)sig;
	errno = EINVAL;
	return -1;
}

pid_t getpid(void)
{
	return 1;
}

void _exit(int status)
{
	kpoweroff(status);
}

/* Time since boot, for time() and gettimeofday() users. */
int gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	uint64_t ns = clock_ns();
	if (tv) {
		tv->tv_sec = (time_t)(ns / 1000000000u);
		tv->tv_usec = (suseconds_t)(ns / 1000u % 1000000u);
	}
	return 0;
}
