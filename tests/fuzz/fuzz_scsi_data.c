/*
 * fuzz_scsi_data.c - libFuzzer target: every parser of data a SCSI device
 * returns (sense, REPORT LUNS, INQUIRY, VPD 80h/83h/B0h/B2h, READ CAPACITY
 * (16), MODE SENSE, event LUNs) fed arbitrary bytes with an arbitrary
 * claimed length.  The device is not trusted: whatever it sends, parsing
 * must stay inside the buffers (ASan) and produce bounded results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/internal.h"
#include "vscsi/scsi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t which = data[0];
	/* The length the device claims may exceed what it really wrote. */
	uint32_t got = (uint32_t)(size - 2) + (data[1] & 0x80 ? data[1] : 0);
	size_t real = size - 2;
	/* The parsers receive exactly the bytes the device returned; the
	 * claimed length `got` only matters where a header repeats it. */
	(void)got;
	uint8_t *buf = malloc(real ? real : 1);
	memcpy(buf, data + 2, real);
	struct vscsi_lun_info info;
	memset(&info, 0, sizeof(info));
	switch (which % 9) {
	case 0: {
		struct scsi_sense s;
		char text[160];
		if (scsi_sense_decode(buf, real, &s) == 0)
			scsi_sense_format(&s, text, sizeof(text));
		break;
	}
	case 1: {
		uint16_t luns[64];
		uint32_t listed = 0;
		int n = scsi_report_luns_parse(buf, real, luns, 64, &listed);
		if (n > 64)
			abort();
		for (int i = 0; i < n; i++)
			if (luns[i] > 16383)
				abort(); /* SAM single-level LUNs stop at 16383 */
		break;
	}
	case 2:
		vs_parse_inquiry(buf, (uint32_t)real, &info);
		break;
	case 3:
		vs_parse_vpd_80(buf, (uint32_t)real, &info);
		if (memchr(info.serial, 0, sizeof(info.serial)) == NULL)
			abort();
		break;
	case 4:
		vs_parse_vpd_83(buf, (uint32_t)real, &info);
		if (info.n_desig > VSCSI_MAX_DESIGNATORS)
			abort();
		break;
	case 5:
		vs_parse_vpd_b0(buf, (uint32_t)real, &info);
		vs_parse_vpd_b2(buf, (uint32_t)real, &info);
		break;
	case 6:
		vs_parse_capacity16(buf, (uint32_t)real, &info);
		break;
	case 7:
		vs_parse_mode(buf, (uint32_t)real, data[1] & 1, &info);
		break;
	case 8:
		if (real >= 8) {
			unsigned t, l;
			if (vs_lun_decode(buf, &t, &l) == 0 && (t > 255 || l > 16383))
				abort();
			scsi_lun_entry_decode(buf);
		}
		break;
	}
	free(buf);
	return 0;
}
