/*
 * errors.h - error codes returned by every vscsi call.
 *
 * Calls return 0 (or a count) on success and a negative VSCSI_E* code on
 * failure.  The values equal Linux's errno numbers so that a host with a
 * POSIX layer (the test kernel's SG_IO and file calls) maps them one to one.
 */
#ifndef VSCSI_ERRORS_H
#define VSCSI_ERRORS_H

#define VSCSI_EPERM 1      /* command refused by the SG_IO filter */
#define VSCSI_ENOENT 2     /* no such device */
#define VSCSI_EIO 5        /* the device or target reported an error */
#define VSCSI_ENXIO 6      /* target or LUN does not exist (BAD_TARGET...) */
#define VSCSI_E2BIG 7      /* request larger than the device accepts */
#define VSCSI_EAGAIN 11    /* no free slot now; try again */
#define VSCSI_ENOMEM 12
#define VSCSI_EFAULT 14    /* a buffer could not be mapped for DMA */
#define VSCSI_EBUSY 16     /* device busy after all retries */
#define VSCSI_ENODEV 19    /* device gone (hot-unplugged, or controller down) */
#define VSCSI_EINVAL 22    /* bad argument, caught before anything was sent */
#define VSCSI_ENOSPC 28    /* queue full; or the device ran out of space (27/07) */
#define VSCSI_EROFS 30     /* write to a write-protected device */
#define VSCSI_ERANGE 34    /* LBA range outside the device */
#define VSCSI_ENOSYS 38    /* not supported by this device or build */
#define VSCSI_EBADE 52     /* RESERVATION CONFLICT: another initiator holds a reservation */
#define VSCSI_EPROTO 71    /* the device broke the virtio protocol */
#define VSCSI_EOVERFLOW 75 /* data does not fit the caller's buffer */
#define VSCSI_EOPNOTSUPP 95
#define VSCSI_ECONNRESET 104 /* command cancelled by a reset */
#define VSCSI_ETIMEDOUT 110
#define VSCSI_ECANCELED 125 /* command aborted */
#define VSCSI_ENOMEDIUM 123 /* no medium in a removable device */
#define VSCSI_EMEDIUMTYPE 124

/* A short English name for an error code ("EIO: I/O error"). */
const char *vscsi_strerror(int err);

#endif
