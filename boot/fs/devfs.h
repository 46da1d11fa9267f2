/*
 * devfs.h - device files for newlib's open/read/write/lseek/close and
 * ioctl.  Descriptors 0-2 are the serial console; every other descriptor
 * is an open device registered here (e.g. "sda", opened as "/dev/sda").
 *
 * Operations return >= 0 on success and a negative errno value (EIO,
 * EINVAL...) on failure; the syscall layer turns that into -1 + errno.
 */
#ifndef VSCSI_BOOT_DEVFS_H
#define VSCSI_BOOT_DEVFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct devfs_file {
	const struct devfs_ops *ops;
	void *priv;          /* as given to devfs_register */
	void *state;         /* per-open, for the device to use */
	uint64_t pos;        /* file offset: read/write start here and advance it */
	int flags;           /* open() flags */
};

struct devfs_ops {
	int (*open)(struct devfs_file *f);                               /* optional */
	long (*read)(struct devfs_file *f, void *buf, size_t len);        /* optional */
	long (*write)(struct devfs_file *f, const void *buf, size_t len); /* optional */
	/* Optional: without it SEEK_SET/SEEK_CUR work and SEEK_END fails. */
	long long (*lseek)(struct devfs_file *f, long long off, int whence);
	int (*ioctl)(struct devfs_file *f, unsigned long req, void *arg); /* optional */
	int (*close)(struct devfs_file *f);                              /* optional */
	/* Optional: fill in st_mode/st_size/st_blksize; default S_IFBLK. */
	int (*fstat)(struct devfs_file *f, struct stat *st);
};

/* Name without "/dev/" (a leading "/dev/" is accepted and stripped), at
 * most 31 characters.  The registry has no fixed size.  Returns 0, or -1
 * when the name is taken or memory ran out. */
int devfs_register(const char *name, const struct devfs_ops *ops, void *priv);
int devfs_unregister(const char *name);
/* Iterate over registered names, in the order they were registered:
 * returns NULL past the end. */
const char *devfs_name(unsigned i);

int ioctl(int fd, unsigned long req, void *arg);

#endif
