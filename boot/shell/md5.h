/* md5.h - MD5 (RFC 1321) for the shell's md5sum. */
#ifndef VSCSI_BOOT_MD5_H
#define VSCSI_BOOT_MD5_H

#include <stddef.h>
#include <stdint.h>

struct md5_ctx {
	uint32_t h[4];
	uint64_t bytes;
	uint8_t buf[64];
};

void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const void *data, size_t len);
void md5_final(struct md5_ctx *c, uint8_t out[16]);

#endif
