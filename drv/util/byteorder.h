/*
 * byteorder.h - every byte-order helper of drv/, in one place.
 *
 *   vs_le16/32/64, vs_put_le16/32/64   little-endian fields in memory, read
 *                                      and written a byte at a time: the
 *                                      virtio-scsi structures (virtio 1.2
 *                                      §5.6: little-endian on the modern
 *                                      interface) and device config
 *   vs_be16/32/64, vs_put_be16/32/64   big-endian fields: CDBs and the data
 *                                      SCSI devices return (SPC-4 §3.5:
 *                                      the most significant byte first)
 *   vs_cpu_le16/32/64                  one value between CPU order and
 *                                      little-endian (the same swap both
 *                                      ways): what a transport applies to a
 *                                      whole register or ring word it read
 *                                      or will write with one access
 *
 * The byte-at-a-time accessors never make an unaligned access and need no
 * alignment of the structure.  Registers and ring words, which the device
 * reads and writes concurrently, must instead be accessed with one load or
 * store of their natural width (virtio 1.2 §2.7.13 for the rings,
 * §4.1.3.1 for PCI registers): those read the word, then convert it with
 * vs_cpu_le*.  Legacy interfaces are guest-endian, which is CPU order: no
 * conversion at all.
 */
#ifndef VSCSI_DRV_UTIL_BYTEORDER_H
#define VSCSI_DRV_UTIL_BYTEORDER_H

#include <stdint.h>

/* --- little-endian fields in memory --------------------------------------- */

static inline uint16_t vs_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t vs_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t vs_le64(const void *p)
{
	return vs_le32(p) | (uint64_t)vs_le32((const uint8_t *)p + 4) << 32;
}
static inline void vs_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void vs_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}
static inline void vs_put_le64(void *p, uint64_t v)
{
	vs_put_le32(p, (uint32_t)v);
	vs_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* --- big-endian fields in memory (SCSI) ------------------------------------ */

static inline uint16_t vs_be16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t vs_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline uint64_t vs_be64(const void *p)
{
	return (uint64_t)vs_be32(p) << 32 | vs_be32((const uint8_t *)p + 4);
}
static inline void vs_put_be16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}
static inline void vs_put_be32(void *p, uint32_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline void vs_put_be64(void *p, uint64_t v)
{
	vs_put_be32(p, (uint32_t)(v >> 32));
	vs_put_be32((uint8_t *)p + 4, (uint32_t)v);
}

/* --- whole values between CPU order and little-endian ---------------------- */

static inline uint16_t vs_cpu_le16(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}
static inline uint32_t vs_cpu_le32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}
static inline uint64_t vs_cpu_le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

#endif
