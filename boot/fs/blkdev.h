/*
 * blkdev.h - the test kernel's device files for the vscsi driver's LUNs:
 * /dev/sdX (disks) and /dev/srN (CD/DVD), the generic node /dev/sgN of
 * every LUN whatever its type (numbered in scan order, as Linux's sg), plus
 * /dev/null and /dev/zero, reached through newlib's open/read/write/lseek/
 * ioctl/close.  No limit on their number but memory.
 *
 * File semantics (what the shell tools rely on):
 *  - The file is the LUN's whole capacity, in bytes.  lseek works as on a
 *    Linux block device: SEEK_END is relative to the capacity, and a
 *    position beyond the end is EINVAL.
 *  - read/write at any byte position and length.  Block-aligned ranges go
 *    straight to the device in as few commands as the block layer allows;
 *    an unaligned head or tail block is read, patched and written back
 *    (read-modify-write), so `dd bs=1000` works.  With O_DIRECT the range
 *    and length must be block aligned, else EINVAL (as Linux).
 *  - read at or past the end returns 0; a read crossing it is short.  A
 *    write crossing the end is short; at or past the end it is ENOSPC.
 *  - open for writing on a write-protected LUN is EROFS; a CD with no
 *    medium can be opened (for eject and SG_IO) but read gives ENOMEDIUM.
 *  - The capacity follows the LUN: a resize or a new CD medium is seen by
 *    the next open (and by files already open, on their next call).
 *
 * ioctls: the Linux numbers, so tools read like their Linux namesakes.
 *
 * Generic nodes (/dev/sgN) are character devices for SG_IO and the sg
 * ioctls only (SG_IO, SG_GET_VERSION_NUM, SG_GET_SCSI_ID): SG_IO goes
 * through the same per-device command filter as on the block node of the
 * same LUN.  Linux's sg v3 read/write interface is not offered: read and
 * write fail with EINVAL (and say so); lseek is ESPIPE.
 */
#ifndef VSCSI_BOOT_BLKDEV_H
#define VSCSI_BOOT_BLKDEV_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "vscsi/sg_io.h"

/* newlib numbers it (135) only under __LINUX_ERRNO_EXTENSIONS__. */
#ifndef ENOMEDIUM
#define ENOMEDIUM 135
#endif
/* The same for EBADE (50): a write refused with RESERVATION CONFLICT. */
#ifndef EBADE
#define EBADE 50
#endif

/* <linux/fs.h> */
#define BLKROGET 0x125eu       /* int *: 1 if write-protected */
#define BLKGETSIZE 0x1260u     /* unsigned long *: capacity in 512-byte sectors */
#define BLKFLSBUF 0x1261u      /* flush the device's write cache (SYNCHRONIZE CACHE) */
#define BLKDISCARD 0x1277u     /* uint64_t[2] {start, length} in bytes: discard (UNMAP ...) */
#define BLKSSZGET 0x1268u      /* int *: logical block size */
#define BLKPBSZGET 0x127bu     /* unsigned int *: physical block size */
#define BLKGETSIZE64 0x80081272u /* uint64_t *: capacity in bytes */
/* <linux/cdrom.h> */
#define CDROMEJECT 0x5309u     /* allow removal, then START STOP UNIT LoEj (open the tray) */
#define CDROMCLOSETRAY 0x5319u /* START STOP UNIT LoEj+Start (load the medium) */
#define CDROM_LOCKDOOR 0x5329u /* arg (int) 1: PREVENT MEDIUM REMOVAL, 0: ALLOW */
/* <scsi/sg.h>; SG_IO itself (struct sg_io_hdr *) comes from vscsi/sg_io.h */
#define SG_GET_VERSION_NUM 0x2282u /* int *: 30527, as Linux's sg driver */
#define SG_GET_SCSI_ID 0x2276u     /* struct sg_scsi_id *: generic nodes only */
/* What SG_GET_SCSI_ID fills in (Linux's layout). */
struct sg_scsi_id {
	int host_no;
	int channel;
	int scsi_id;       /* target */
	int lun;
	int scsi_type;     /* peripheral device type */
	short h_cmd_per_lun;
	short d_queue_depth;
	int unused[2];
};
/* Ours: struct vscsi_lun ** receives the LUN behind the file. */
#define BLKDEV_GET_LUN 0x56c0u

struct vscsi_lun;

/*
 * Register a device file for every LUN present and follow hot-plug,
 * resize and medium changes from then on (vscsi_set_change_callback).
 * Idempotent; the shell tools call it before they open a device, so the
 * registry is complete even if nobody called it at start-up.
 */
void blkdev_init(void);

/* The LUN behind a device name ("sda", "/dev/sr0"), or NULL. */
struct vscsi_lun *blkdev_lun_by_name(const char *name);
/* The LUN behind an open descriptor, or NULL (not a SCSI device file). */
struct vscsi_lun *blkdev_lun_of_fd(int fd);

/* newlib errno value for a -VSCSI_E* code (newlib numbers some differently). */
int blkdev_errno(int vscsi_err);
/* Linux's wording for an errno value ("Operation not permitted", "No medium
 * found"), so messages read as on Linux; strerror() for the rest. */
const char *blkdev_strerror(int errnum);

#endif
