/*
 * blkdev.c - device files for the vscsi block devices (/dev/sdX, /dev/srN),
 * the generic SCSI node of every LUN (/dev/sgN, SG_IO only), and the two
 * plain ones every dd user expects (/dev/null, /dev/zero).
 *
 * The registry follows the driver's device table: blkdev_init() registers
 * every disk and CD-ROM present, and every LUN's generic node, and installs
 * the driver's change callback, which registers LUNs added by a rescan and
 * unregisters removed ones.  Entries are allocated as LUNs come, so there
 * is no limit but memory.  A file opened before its LUN was removed stays
 * open and fails with ENODEV, as on Linux.
 *
 * Byte-addressed read/write over a block device (blkdev.h has the rules):
 * the block-aligned middle of a range is handed to vscsi_blk_read/write
 * in one call (the block layer splits it at the device's per-command
 * limits), an unaligned head or tail block goes through a one-block bounce
 * buffer, read-modify-write for writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/blkdev.h"
#include "fs/devfs.h"
#include "fs/devfs_internal.h"
#include "vscsi/blk.h"
#include "vscsi/sg_io.h"
#include "vscsi/vscsi.h"

#undef errno
extern int errno;

/* One registered device name and the LUN it stands for now.  Open files
 * do not point here (an entry goes when its LUN goes). */
struct blkdev {
	char name[16];
	struct vscsi_lun *lun;
	bool generic;            /* /dev/sgN, not the block device */
	struct blkdev *next;
};

/* Per open file. */
struct blkfile {
	struct vscsi_lun *lun; /* fixed at open: a removed LUN stays removed */
	uint8_t *bounce;       /* one logical block, for unaligned heads/tails */
	uint32_t bounce_size;
};

static struct blkdev *devs; /* every registered entry */
static bool initialised;

/* ---- errors ------------------------------------------------------------- */

int blkdev_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case VSCSI_EPERM: return EPERM;
	case VSCSI_ENOENT: return ENOENT;
	case VSCSI_EIO: return EIO;
	case VSCSI_ENXIO: return ENXIO;
	case VSCSI_E2BIG: return E2BIG;
	case VSCSI_EAGAIN: return EAGAIN;
	case VSCSI_ENOMEM: return ENOMEM;
	case VSCSI_EFAULT: return EFAULT;
	case VSCSI_EBUSY: return EBUSY;
	case VSCSI_ENODEV: return ENODEV;
	case VSCSI_EINVAL: return EINVAL;
	case VSCSI_ENOSPC: return ENOSPC;
	case VSCSI_EROFS: return EROFS;
	case VSCSI_ERANGE: return ERANGE;
	case VSCSI_EBADE: return EBADE; /* RESERVATION CONFLICT, as Linux */
	case VSCSI_ENOSYS: return ENOSYS;
	case VSCSI_EPROTO: return EPROTO;
	case VSCSI_EOVERFLOW: return EOVERFLOW;
	case VSCSI_EOPNOTSUPP: return EOPNOTSUPP;
	case VSCSI_ECONNRESET: return ECONNRESET;
	case VSCSI_ETIMEDOUT: return ETIMEDOUT;
	case VSCSI_ECANCELED: return ECANCELED;
	case VSCSI_ENOMEDIUM: return ENOMEDIUM;
	case VSCSI_EMEDIUMTYPE: return EINVAL; /* newlib has no EMEDIUMTYPE */
	default: return EIO;
	}
}

const char *blkdev_strerror(int e)
{
	switch (e) {
	case EPERM: return "Operation not permitted";
	case EIO: return "Input/output error";
	case ENXIO: return "No such device or address";
	case E2BIG: return "Argument list too long";
	case EAGAIN: return "Resource temporarily unavailable";
	case ENODEV: return "No such device";
	case ENOTTY: return "Inappropriate ioctl for device";
	case ENOMEDIUM: return "No medium found";
	case ETIMEDOUT: return "Connection timed out";
	case EOVERFLOW: return "Value too large for defined data type";
	case ECANCELED: return "Operation canceled";
	case ENOSYS: return "Function not implemented";
	case EOPNOTSUPP: return "Operation not supported";
	case ERANGE: return "Numerical result out of range";
	/* Linux says "Invalid exchange" for EBADE, which tells a user
	 * nothing; the block layer returns it only for this: */
	case EBADE: return "Reservation conflict";
	case ENOMEM: return "Cannot allocate memory";
	default: return strerror(e);
	}
}

/* File operations return -errno (devfs.h). */
static long fail(int vscsi_err)
{
	return -(long)blkdev_errno(vscsi_err);
}

/* ---- the block device files ------------------------------------------------ */

static int blk_open(struct devfs_file *f)
{
	struct blkdev *d = f->priv;
	struct vscsi_lun *lun = d->lun;
	if (!lun || vscsi_lun_info(lun)->gone)
		return -ENODEV;
	struct vscsi_blk_info bi;
	int r = vscsi_blk_get_info(lun, &bi);
	if (r < 0)
		return (int)fail(r);
	/* A removable device may have had its medium changed behind our back
	 * (QEMU sends no event for CDs): ask it now, as Linux's sr_open does. */
	if (bi.removable || bi.cdrom) {
		int m = vscsi_blk_check_medium(lun);
		if (m < 0 && m != -VSCSI_ENOMEDIUM)
			return (int)fail(m);
		vscsi_blk_get_info(lun, &bi);
		/* O_NONBLOCK opens an empty drive (eject, SG_IO), as on Linux. */
		if (!bi.medium && !(f->flags & O_NONBLOCK))
			return -ENOMEDIUM;
	}
	/* Writing a write-protected device is refused at open, as Linux's sd
	 * does; a CD opened with O_NONBLOCK (for SG_IO, eject) is let through,
	 * as Linux's sr does. */
	if ((f->flags & O_ACCMODE) != O_RDONLY && bi.read_only && bi.medium &&
	    !(bi.cdrom && (f->flags & O_NONBLOCK)))
		return -EROFS;
	struct blkfile *bf = calloc(1, sizeof *bf);
	if (!bf)
		return -ENOMEM;
	bf->lun = lun;
	f->state = bf;
	return 0;
}

static int blk_close(struct devfs_file *f)
{
	struct blkfile *bf = f->state;
	if (bf) {
		free(bf->bounce);
		free(bf);
	}
	f->state = NULL;
	return 0;
}

/* The device as it is now; -errno when it cannot be used for I/O. */
static int current_info(struct blkfile *bf, struct vscsi_blk_info *bi)
{
	if (vscsi_lun_info(bf->lun)->gone)
		return -ENODEV;
	int r = vscsi_blk_get_info(bf->lun, bi);
	if (r < 0)
		return (int)fail(r);
	if (!bi->medium)
		return -ENOMEDIUM;
	if (!bi->block_size)
		return -EIO;
	return 0;
}

static int ensure_bounce(struct blkfile *bf, uint32_t block_size)
{
	if (bf->bounce_size >= block_size)
		return 0;
	free(bf->bounce);
	bf->bounce = malloc(block_size);
	bf->bounce_size = bf->bounce ? block_size : 0;
	return bf->bounce ? 0 : -ENOMEM;
}

/*
 * One transfer of [pos, pos+len) (already clipped to the device): aligned
 * middle straight from/to `buf`, partial blocks through the bounce buffer.
 */
static long blk_rw(struct devfs_file *f, void *buf, size_t len, bool write)
{
	struct blkfile *bf = f->state;
	struct vscsi_blk_info bi;
	int r = current_info(bf, &bi);
	if (r < 0)
		return r;
	/* O_SYNC / O_DSYNC (one flag in newlib): every write is on the medium
	 * when it returns: FUA, or a SYNCHRONIZE CACHE after it (drv/blk). */
	const unsigned wflags = (f->flags & O_SYNC) ? VSCSI_BLK_FUA : 0;
	const uint64_t bs = bi.block_size;
	const uint64_t size = bi.blocks * bs;
	if (len == 0)
		return 0;
	if (f->pos >= size)
		return write ? -ENOSPC : 0;
	if (len > size - f->pos)
		len = (size_t)(size - f->pos);
	if ((f->flags & O_DIRECT) && (f->pos % bs || len % bs))
		return -EINVAL;
	if (write && bi.read_only)
		return -EROFS;

	uint8_t *p = buf;
	uint64_t pos = f->pos;
	size_t left = len;
	/* Unaligned head, or a range inside one block. */
	if (pos % bs) {
		if ((r = ensure_bounce(bf, (uint32_t)bs)) < 0)
			return r;
		uint64_t lba = pos / bs;
		size_t off = (size_t)(pos % bs);
		size_t n = (size_t)bs - off < left ? (size_t)bs - off : left;
		r = vscsi_blk_read(bf->lun, lba, 1, bf->bounce);
		if (r < 0)
			return fail(r);
		if (write) {
			memcpy(bf->bounce + off, p, n);
			r = vscsi_blk_write(bf->lun, lba, 1, bf->bounce, wflags);
			if (r < 0)
				return fail(r);
		} else {
			memcpy(p, bf->bounce + off, n);
		}
		p += n;
		pos += n;
		left -= n;
	}
	/* Whole blocks: one call, split by the block layer. */
	if (left >= bs) {
		uint64_t blocks = left / bs;
		r = write ? vscsi_blk_write(bf->lun, pos / bs, blocks, p, wflags)
			  : vscsi_blk_read(bf->lun, pos / bs, blocks, p);
		if (r < 0)
			return fail(r);
		p += blocks * bs;
		pos += blocks * bs;
		left -= (size_t)(blocks * bs);
	}
	/* Unaligned tail. */
	if (left) {
		if ((r = ensure_bounce(bf, (uint32_t)bs)) < 0)
			return r;
		r = vscsi_blk_read(bf->lun, pos / bs, 1, bf->bounce);
		if (r < 0)
			return fail(r);
		if (write) {
			memcpy(bf->bounce, p, left);
			r = vscsi_blk_write(bf->lun, pos / bs, 1, bf->bounce, wflags);
			if (r < 0)
				return fail(r);
		} else {
			memcpy(p, bf->bounce, left);
		}
		pos += left;
	}
	f->pos = pos;
	return (long)len;
}

static long blk_read(struct devfs_file *f, void *buf, size_t len)
{
	return blk_rw(f, buf, len, false);
}

static long blk_write(struct devfs_file *f, const void *buf, size_t len)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	return blk_rw(f, (void *)buf, len, true);
}

static uint64_t current_size(struct blkfile *bf)
{
	struct vscsi_blk_info bi;
	if (vscsi_lun_info(bf->lun)->gone || vscsi_blk_get_info(bf->lun, &bi) < 0 || !bi.medium)
		return 0;
	return bi.blocks * bi.block_size;
}

/* As a Linux block device: SEEK_END from the capacity, nothing past it. */
static long long blk_lseek(struct devfs_file *f, long long off, int whence)
{
	struct blkfile *bf = f->state;
	uint64_t size = current_size(bf);
	long long base;
	if (whence == SEEK_SET)
		base = 0;
	else if (whence == SEEK_CUR)
		base = (long long)f->pos;
	else if (whence == SEEK_END)
		base = (long long)size;
	else
		return -EINVAL;
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0 ||
	    (uint64_t)(base + off) > size)
		return -EINVAL;
	f->pos = (uint64_t)(base + off);
	return (long long)f->pos;
}

static int blk_ioctl(struct devfs_file *f, unsigned long req, void *arg)
{
	struct blkfile *bf = f->state;
	struct vscsi_lun *lun = bf->lun;
	struct vscsi_blk_info bi;
	int r;
	if (req == BLKDEV_GET_LUN) {
		if (!arg)
			return -EFAULT;
		*(struct vscsi_lun **)arg = lun;
		return 0;
	}
	if (vscsi_lun_info(lun)->gone)
		return -ENODEV;
	switch (req) {
	case SG_IO: {
		struct sg_io_hdr *h = arg;
		if (!h)
			return -EFAULT;
		/* The header's checks (interface 'S', lengths, direction) and the
		 * command filter are the driver's: nothing is sent if they fail. */
		r = vscsi_sg_io(lun, h, (f->flags & O_ACCMODE) != O_RDONLY);
		return r < 0 ? (int)fail(r) : 0;
	}
	case SG_GET_VERSION_NUM:
		if (!arg)
			return -EFAULT;
		*(int *)arg = 30527;
		return 0;
	case BLKGETSIZE64:
	case BLKGETSIZE:
	case BLKSSZGET:
	case BLKPBSZGET:
	case BLKROGET:
		if (!arg)
			return -EFAULT;
		if ((r = vscsi_blk_get_info(lun, &bi)) < 0)
			return (int)fail(r);
		if (req == BLKGETSIZE64)
			*(uint64_t *)arg = bi.medium ? bi.blocks * bi.block_size : 0;
		else if (req == BLKGETSIZE)
			*(unsigned long *)arg = bi.medium ? bi.blocks * bi.block_size / 512 : 0;
		else if (req == BLKSSZGET)
			*(int *)arg = (int)bi.block_size;
		else if (req == BLKPBSZGET)
			*(unsigned *)arg = bi.phys_block_size ? bi.phys_block_size : bi.block_size;
		else
			*(int *)arg = bi.read_only;
		return 0;
	case BLKFLSBUF:
		r = vscsi_blk_flush(lun);
		return r < 0 ? (int)fail(r) : 0;
	case BLKDISCARD: {
		/* As Linux: open for writing, a device that discards, a byte
		 * range of whole logical blocks inside the device. */
		const uint64_t *range = arg;
		if (!range)
			return -EFAULT;
		if ((f->flags & O_ACCMODE) == O_RDONLY)
			return -EBADF;
		if ((r = vscsi_blk_get_info(lun, &bi)) < 0)
			return (int)fail(r);
		if (!bi.discard)
			return -EOPNOTSUPP;
		uint64_t size = bi.medium ? bi.blocks * bi.block_size : 0;
		if (!bi.block_size || range[0] % bi.block_size || range[1] % bi.block_size ||
		    !range[1] || range[0] > size || range[1] > size - range[0])
			return -EINVAL;
		r = vscsi_blk_discard(lun, range[0] / bi.block_size, range[1] / bi.block_size);
		return r < 0 ? (int)fail(r) : 0;
	}
	case CDROMEJECT:
		r = vscsi_blk_eject(lun);
		return r < 0 ? (int)fail(r) : 0;
	case CDROMCLOSETRAY:
		r = vscsi_blk_load(lun);
		return r < 0 ? (int)fail(r) : 0;
	case CDROM_LOCKDOOR:
		r = vscsi_blk_lock_medium(lun, (uintptr_t)arg != 0);
		return r < 0 ? (int)fail(r) : 0;
	default:
		return -ENOTTY;
	}
}

static int blk_fstat(struct devfs_file *f, struct stat *st)
{
	struct blkfile *bf = f->state;
	struct vscsi_blk_info bi;
	st->st_mode = S_IFBLK | 0660;
	if (vscsi_blk_get_info(bf->lun, &bi) == 0) {
		st->st_size = (off_t)(bi.medium ? bi.blocks * bi.block_size : 0);
		st->st_blksize = (blksize_t)(bi.block_size > 4096 ? bi.block_size : 4096);
	}
	return 0;
}

static const struct devfs_ops blk_ops = {
	.open = blk_open,
	.read = blk_read,
	.write = blk_write,
	.lseek = blk_lseek,
	.ioctl = blk_ioctl,
	.close = blk_close,
	.fstat = blk_fstat,
};

/* ---- the generic nodes ------------------------------------------------------ */

/*
 * /dev/sgN: the LUN for SG_IO and the sg ioctls, whatever its type (a
 * storage array controller, a tape, an enclosure have no block device).
 * The per-open state is the LUN itself.  Linux's sg also offers its v3
 * interface through read and write (a header written, the answer read
 * back); that is not offered: read and write are EINVAL, with a line that
 * says what to use instead.
 */
static int sg_open(struct devfs_file *f)
{
	struct blkdev *d = f->priv;
	if (!d->lun || vscsi_lun_info(d->lun)->gone)
		return -ENODEV;
	f->state = d->lun;
	return 0;
}

static long sg_rw(struct devfs_file *f)
{
	struct vscsi_lun *lun = f->state;
	const struct vscsi_lun_info *li = vscsi_lun_info(lun);
	if (li->gone)
		return -ENODEV;
	printf("/dev/%s: read and write (sg's v3 interface) are not supported; use ioctl SG_IO\n",
	       li->sg_name);
	return -EINVAL;
}

static long sg_read(struct devfs_file *f, void *buf, size_t len)
{
	(void)buf, (void)len;
	return sg_rw(f);
}

static long sg_write(struct devfs_file *f, const void *buf, size_t len)
{
	(void)buf, (void)len;
	return sg_rw(f);
}

static long long sg_lseek(struct devfs_file *f, long long off, int whence)
{
	(void)f, (void)off, (void)whence;
	return -ESPIPE;
}

static int sg_ioctl(struct devfs_file *f, unsigned long req, void *arg)
{
	struct vscsi_lun *lun = f->state;
	const struct vscsi_lun_info *li = vscsi_lun_info(lun);
	if (req == BLKDEV_GET_LUN) {
		if (!arg)
			return -EFAULT;
		*(struct vscsi_lun **)arg = lun;
		return 0;
	}
	if (li->gone)
		return -ENODEV;
	switch (req) {
	case SG_IO: {
		if (!arg)
			return -EFAULT;
		/* The same checks and the same per-device filter as through the
		 * block node: the filter belongs to the LUN, not to the file. */
		int r = vscsi_sg_io(lun, arg, (f->flags & O_ACCMODE) != O_RDONLY);
		return r < 0 ? (int)fail(r) : 0;
	}
	case SG_GET_VERSION_NUM:
		if (!arg)
			return -EFAULT;
		*(int *)arg = 30527;
		return 0;
	case SG_GET_SCSI_ID: {
		struct sg_scsi_id *id = arg;
		if (!id)
			return -EFAULT;
		memset(id, 0, sizeof(*id));
		id->host_no = (int)li->host;
		id->channel = (int)li->channel;
		id->scsi_id = (int)li->target;
		id->lun = (int)li->lun;
		id->scsi_type = li->type;
		id->h_cmd_per_lun = (short)(li->queue_depth > 0x7fff ? 0x7fff : li->queue_depth);
		id->d_queue_depth = id->h_cmd_per_lun;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static int sg_fstat(struct devfs_file *f, struct stat *st)
{
	(void)f;
	st->st_mode = S_IFCHR | 0660;
	return 0;
}

static const struct devfs_ops sg_ops = {
	.open = sg_open,
	.read = sg_read,
	.write = sg_write,
	.lseek = sg_lseek,
	.ioctl = sg_ioctl,
	.fstat = sg_fstat,
};

/* ---- /dev/null and /dev/zero --------------------------------------------- */

static long null_read(struct devfs_file *f, void *buf, size_t len)
{
	(void)f, (void)buf, (void)len;
	return 0;
}

static long zero_read(struct devfs_file *f, void *buf, size_t len)
{
	(void)f;
	memset(buf, 0, len);
	return (long)len;
}

static long sink_write(struct devfs_file *f, const void *buf, size_t len)
{
	(void)f, (void)buf;
	return (long)len;
}

/* Seeking succeeds and changes nothing, as on Linux. */
static long long sink_lseek(struct devfs_file *f, long long off, int whence)
{
	(void)off, (void)whence;
	f->pos = 0;
	return 0;
}

static int sink_fstat(struct devfs_file *f, struct stat *st)
{
	(void)f;
	st->st_mode = S_IFCHR | 0666;
	return 0;
}

static const struct devfs_ops null_ops = {
	.read = null_read, .write = sink_write, .lseek = sink_lseek, .fstat = sink_fstat,
};
static const struct devfs_ops zero_ops = {
	.read = zero_read, .write = sink_write, .lseek = sink_lseek, .fstat = sink_fstat,
};

/* ---- the registry ---------------------------------------------------------- */

static struct blkdev *find_entry(const char *name)
{
	struct devfs_node *n = devfs_lookup(name);
	return n && (n->ops == &blk_ops || n->ops == &sg_ops) ? n->priv : NULL;
}

/* The name the entry should have now ("" when none). */
static const char *current_name(const struct blkdev *d)
{
	const struct vscsi_lun_info *li = vscsi_lun_info(d->lun);
	if (li->gone)
		return "";
	return d->generic ? li->sg_name : li->name;
}

/* Register `name` for `lun`; a name already there follows the LUN. */
static void add_entry(struct vscsi_lun *lun, const char *name, bool generic)
{
	struct blkdev *d = find_entry(name);
	if (d) {
		d->lun = lun; /* the same name on a LUN found again */
		d->generic = generic;
		return;
	}
	d = calloc(1, sizeof(*d));
	if (d) {
		snprintf(d->name, sizeof d->name, "%s", name);
		d->lun = lun;
		d->generic = generic;
	}
	if (!d || devfs_register(d->name, generic ? &sg_ops : &blk_ops, d) < 0) {
		/* Out of memory, or a name longer than devfs takes. */
		printf("blkdev: cannot register /dev/%s\n", name);
		free(d);
		return;
	}
	d->next = devs;
	devs = d;
}

static void add_lun(struct vscsi_lun *lun)
{
	const struct vscsi_lun_info *li = vscsi_lun_info(lun);
	if (li->gone)
		return;
	if (li->sg_name[0])
		add_entry(lun, li->sg_name, true);
	if (li->name[0] && vscsi_blk_is_block(lun))
		add_entry(lun, li->name, false);
}

/* Bring the registry in line with the driver's table. */
static void resync(void)
{
	for (struct blkdev **pp = &devs; *pp;) {
		struct blkdev *d = *pp;
		if (strcmp(current_name(d), d->name)) {
			devfs_unregister(d->name);
			*pp = d->next;
			free(d);
		} else {
			pp = &d->next;
		}
	}
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l))
		add_lun(l);
}

static void on_change(struct vscsi_lun *lun, enum vscsi_change what, void *arg)
{
	(void)arg;
	if (what == VSCSI_CHANGE_ADDED)
		add_lun(lun);
	else if (what == VSCSI_CHANGE_REMOVED)
		resync();
	/* RESIZED / MEDIUM: nothing to do, every call reads the current size. */
}

void blkdev_init(void)
{
	if (initialised) {
		/* Cheap, and catches LUNs a rescan found before the callback was
		 * installed (or while another one was). */
		resync();
		return;
	}
	initialised = true;
	devfs_register("null", &null_ops, NULL);
	devfs_register("zero", &zero_ops, NULL);
	vscsi_set_change_callback(on_change, NULL);
	resync();
}

struct vscsi_lun *blkdev_lun_by_name(const char *name)
{
	if (!strncmp(name, "/dev/", 5))
		name += 5;
	blkdev_init();
	struct blkdev *d = find_entry(name);
	return d && !vscsi_lun_info(d->lun)->gone ? d->lun : NULL;
}

struct vscsi_lun *blkdev_lun_of_fd(int fd)
{
	struct vscsi_lun *lun = NULL;
	if (ioctl(fd, BLKDEV_GET_LUN, &lun) < 0)
		return NULL;
	return lun;
}
