/*
 * sg_io.h - SCSI pass-through in the shape of Linux's SG_IO ioctl.
 *
 * `struct sg_io_hdr` has the field order, types and size of Linux's
 * (<scsi/sg.h>, interface 'S'), so tools written for SG_IO port over.
 * vscsi_sg_io() validates the header, applies the per-device command
 * filter, sends the CDB as given (the data direction comes from the
 * header, never from the CDB) and fills in the results.
 *
 * Return value: 0 once the command was sent and completed, even when the
 * device reported an error: look at status / host_status / driver_status
 * / info as with Linux.  A negative VSCSI_E* code means nothing was sent:
 * EINVAL (bad header), E2BIG (buffer larger than one command carries),
 * EPERM (refused by the filter), ENODEV (device gone), EAGAIN.
 */
#ifndef VSCSI_SG_IO_H
#define VSCSI_SG_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vscsi/vscsi.h"

#define SG_INTERFACE_ID_ORIG 'S'

#define SG_DXFER_NONE (-1)
#define SG_DXFER_TO_DEV (-2)
#define SG_DXFER_FROM_DEV (-3)
#define SG_DXFER_TO_FROM_DEV (-4) /* treated as FROM_DEV, as Linux does */

#define SG_INFO_OK_MASK 0x1
#define SG_INFO_OK 0x0
#define SG_INFO_CHECK 0x1
/* vscsi's own bit, not Linux's: the device reported a residual larger than
 * the buffer, so `resid` (then dxfer_len) is no count of what moved: the
 * data may be anywhere in the buffer.  QEMU 7.2's scsi-hd does this for a
 * READ into a buffer larger than the CDB's transfer length. */
#define VSCSI_SG_INFO_RESID_UNKNOWN 0x100

/* The ioctl number Linux uses, for hosts that offer an ioctl(). */
#define SG_IO 0x2285

typedef struct sg_iovec {
	void *iov_base;
	size_t iov_len;
} sg_iovec_t;

typedef struct sg_io_hdr {
	int interface_id;            /* 'S' */
	int dxfer_direction;         /* SG_DXFER_* */
	unsigned char cmd_len;       /* <= the controller's cdb_size (32) */
	unsigned char mx_sb_len;     /* room at sbp */
	unsigned short iovec_count;  /* 0: dxferp is the buffer; else an sg_iovec array */
	unsigned int dxfer_len;      /* bytes of data */
	void *dxferp;
	unsigned char *cmdp;
	void *sbp;                   /* sense buffer */
	unsigned int timeout;        /* milliseconds; 0: the controller's default */
	unsigned int flags;          /* ignored */
	int pack_id;                 /* returned unchanged */
	void *usr_ptr;               /* returned unchanged */
	unsigned char status;        /* SAM status */
	unsigned char masked_status; /* status >> 1 & 0x7f (the old convention) */
	unsigned char msg_status;    /* always 0 */
	unsigned char sb_len_wr;     /* sense bytes written */
	unsigned short host_status;  /* VSCSI_DID_*: how the transport fared */
	unsigned short driver_status; /* VSCSI_DRIVER_SENSE when sense was written */
	int resid;                   /* dxfer_len - bytes transferred */
	unsigned int duration;       /* milliseconds */
	unsigned int info;           /* SG_INFO_CHECK when anything is not OK */
} sg_io_hdr_t;

#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(struct sg_io_hdr) == 88, "sg_io_hdr has Linux's LP64 size");
#endif

/* host_status values (Linux's DID_* numbering). */
#define VSCSI_DID_OK 0x00
#define VSCSI_DID_NO_CONNECT 0x01
#define VSCSI_DID_BUS_BUSY 0x02
#define VSCSI_DID_TIME_OUT 0x03
#define VSCSI_DID_BAD_TARGET 0x04
#define VSCSI_DID_ABORT 0x05
#define VSCSI_DID_ERROR 0x07
#define VSCSI_DID_RESET 0x08
#define VSCSI_DID_TRANSPORT_DISRUPTED 0x0e
#define VSCSI_DID_TARGET_FAILURE 0x10
#define VSCSI_DID_NEXUS_FAILURE 0x11
/* driver_status values. */
#define VSCSI_DRIVER_OK 0x00
#define VSCSI_DRIVER_ERROR 0x04
#define VSCSI_DRIVER_TIMEOUT 0x06
#define VSCSI_DRIVER_SENSE 0x08

/* iovec entries one call accepts. */
#define VSCSI_SG_MAX_IOVEC 64

int vscsi_sg_io(struct vscsi_lun *dev, struct sg_io_hdr *hdr, bool opened_for_write);

/* --- the per-device command filter ---------------------------------------- */
/*
 * FILTERED (the default): informational and read commands always pass;
 * commands that change the medium or the device's state (WRITE, WRITE
 * SAME, UNMAP, SYNCHRONIZE CACHE, MODE SELECT, START STOP UNIT ...) only
 * when the device was opened for writing; everything else is refused with
 * -VSCSI_EPERM and a log line naming the opcode.  UNFILTERED lets every
 * command through.  In both, administrator entries come first: a deny
 * entry refuses, an allow entry admits (an opcode, optionally one service
 * action, e.g. 0x5f/0x01 PERSISTENT RESERVE OUT / REGISTER).
 */
enum vscsi_sg_policy {
	VSCSI_SG_FILTERED = 0,
	VSCSI_SG_UNFILTERED = 1,
};
#define VSCSI_SG_ANY_SA (-1)

int vscsi_sg_set_policy(struct vscsi_lun *dev, enum vscsi_sg_policy policy);
enum vscsi_sg_policy vscsi_sg_get_policy(struct vscsi_lun *dev);
/* Add an entry (service_action VSCSI_SG_ANY_SA for all); ENOSPC when full. */
int vscsi_sg_filter_add(struct vscsi_lun *dev, uint8_t opcode, int service_action, bool allow);
void vscsi_sg_filter_clear(struct vscsi_lun *dev);

/* One administrator entry, as vscsi_sg_filter_list() reports it. */
struct vscsi_sg_filter_entry {
	uint8_t opcode;
	int service_action;    /* VSCSI_SG_ANY_SA (-1) for every service action */
	bool allow;            /* false: a deny entry */
};
/* Copy up to `max` entries of the device's filter, in the order they are
 * checked, into `out`; return how many entries the filter holds (may be more
 * than max), or a negative VSCSI_E* error. */
int vscsi_sg_filter_list(struct vscsi_lun *dev, struct vscsi_sg_filter_entry *out,
			 unsigned max);
/* The decision alone: 0 allowed, -VSCSI_EPERM refused (no log line). */
int vscsi_sg_filter_check(struct vscsi_lun *dev, const uint8_t *cdb, unsigned cdb_len,
			  bool opened_for_write);

/* The decision and what made it, so a tool can tell its user what to
 * change: an administrator entry, or the policy (with its table of
 * command classes under FILTERED). */
enum vscsi_sg_verdict {
	VSCSI_SG_ALLOWED_BY_ENTRY,
	VSCSI_SG_ALLOWED_BY_POLICY,
	VSCSI_SG_DENIED_BY_ENTRY,
	VSCSI_SG_DENIED_BY_POLICY,
};
/* Returns a verdict (>= 0), or -VSCSI_EINVAL for a NULL device. */
int vscsi_sg_filter_verdict(struct vscsi_lun *dev, const uint8_t *cdb, unsigned cdb_len,
			    bool opened_for_write);

#endif
