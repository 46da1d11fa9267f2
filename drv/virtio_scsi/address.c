/*
 * address.c - the 8-byte LUN field every virtio-scsi request, TMF and
 * event carries (virtio 1.2 §5.6.6.1): byte 0 is 1, byte 1 the target
 * (0..255), bytes 2-3 a single-level LUN structure (SAM-5 §4.7), bytes
 * 4-7 zero.  That covers 256 targets of 16384 LUNs each.
 */
#include "virtio_scsi/internal.h"

/*
 * vs_lun_encode - virtio 1.2 §5.6.6.1 (lun field).  Flat-space addressing
 * (SAM-5 §4.7.7, method 01b) for every LUN, as Linux does: byte 2 is
 * 0x40 | lun >> 8, byte 3 lun & 0xff.  QEMU accepts it for 0..16383.
 */
void vs_lun_encode(uint8_t out[8], unsigned target, unsigned lun)
{
	out[0] = 1;
	out[1] = (uint8_t)target;
	out[2] = (uint8_t)(0x40 | ((lun >> 8) & 0x3f));
	out[3] = (uint8_t)lun;
	out[4] = out[5] = out[6] = out[7] = 0;
}

/*
 * Bytes 2-3 of the field: the first level of a SAM-5 §4.7.7 LUN structure.
 * Devices use peripheral addressing (method 00b, bus 0 only: the LUN is
 * byte 3) for LUNs below 256 and flat space (01b) above; the LUN is the
 * low 14 bits, never the raw 16 (the 0x40 of flat space is no part of it).
 */
static int level_decode(uint8_t b0, uint8_t b1)
{
	switch (b0 >> 6) {
	case 0:
		return (b0 & 0x3f) ? -1 : b1;
	case 1:
		return ((b0 & 0x3f) << 8) | b1;
	default:
		return -1;
	}
}

/*
 * vs_lun_decode - virtio 1.2 §5.6.6.1 (lun field), as events carry it
 * (virtio 1.2 §5.6.6.3).  An EVENTS_MISSED event comes with a zero field, which is no
 * address: -VSCSI_EINVAL, like any method other than 00b/01b.
 */
int vs_lun_decode(const uint8_t in[8], unsigned *target, unsigned *lun)
{
	if (in[0] != 1)
		return -VSCSI_EINVAL;
	int l = level_decode(in[2], in[3]);
	if (l < 0)
		return -VSCSI_EINVAL;
	*target = in[1];
	*lun = (unsigned)l;
	return 0;
}
