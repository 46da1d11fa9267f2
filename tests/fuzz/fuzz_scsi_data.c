/*
 * fuzz_scsi_data.c - libFuzzer target: every parser of data a SCSI device
 * returns, all in drv/scsi/parse.c (standard INQUIRY, VPD 00h/80h/83h/
 * B0h/B1h/B2h, READ CAPACITY (10)/(16), MODE SENSE (6)/(10), REPORT LUNS,
 * sense data in both formats), plus what the virtio-scsi adapter decodes
 * of device-written bytes (the response header of virtio 1.2 §5.6.6.1 and
 * the LUN field of events), GET EVENT STATUS NOTIFICATION's media event
 * (MMC-6 §6.6), and the udev identifiers computed from VPD 00h/80h/83h
 * data, fed arbitrary bytes.  The device is not
 * trusted: whatever it sends, parsing must stay inside the buffers (ASan)
 * and produce bounded results.
 *
 * Input: byte 0 picks the parser, byte 1 carries a flag for the parsers
 * that take one, the rest is the device's data, exactly as long as the
 * device wrote it (a heap copy, so ASan sees every byte beyond it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/internal.h"
#include "virtio_scsi/internal.h"
#include "vscsi/scsi.h"

static void check_strings(const struct vscsi_lun_info *info)
{
	if (!memchr(info->vendor, 0, sizeof(info->vendor)) ||
	    !memchr(info->model, 0, sizeof(info->model)) ||
	    !memchr(info->rev, 0, sizeof(info->rev)) ||
	    !memchr(info->serial, 0, sizeof(info->serial)) ||
	    !memchr(info->wwn, 0, sizeof(info->wwn)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t which = data[0];
	bool flag = data[1] & 1;
	size_t real = size - 2;
	uint8_t *buf = malloc(real ? real : 1);
	memcpy(buf, data + 2, real);
	struct vscsi_lun_info info;
	memset(&info, 0, sizeof(info));
	switch (which % 14) {
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
	case 2: {
		int r = vs_parse_inquiry_present(buf, (uint32_t)real);
		if (r != 0 && r != -VSCSI_ENXIO && r != -VSCSI_EIO)
			abort();
		vs_parse_inquiry(buf, (uint32_t)real, &info);
		if (info.type > 0x1f)
			abort();
		break;
	}
	case 3:
		vs_parse_vpd_00(buf, (uint32_t)real, &info);
		if (info.n_vpd_pages > sizeof(info.vpd_pages))
			abort();
		break;
	case 4:
		vs_parse_vpd_80(buf, (uint32_t)real, &info);
		break;
	case 5:
		vs_parse_vpd_83(buf, (uint32_t)real, &info);
		if (info.n_desig > VSCSI_MAX_DESIGNATORS)
			abort();
		for (unsigned i = 0; i < info.n_desig; i++)
			if (info.desig[i].len > sizeof(info.desig[i].id))
				abort();
		break;
	case 6:
		vs_parse_vpd_b0(buf, (uint32_t)real, &info);
		vs_parse_vpd_b1(buf, (uint32_t)real, &info);
		vs_parse_vpd_b2(buf, (uint32_t)real, &info);
		break;
	case 7: {
		uint64_t blocks = 0;
		uint32_t bs = 0;
		if (vs_parse_capacity10(buf, (uint32_t)real, &blocks, &bs) != (real >= 8))
			abort();
		if (vs_parse_capacity16(buf, (uint32_t)real, &info) != (real >= 12))
			abort();
		break;
	}
	case 8:
		vs_parse_mode(buf, (uint32_t)real, flag, &info);
		break;
	case 9:
		if (real >= 8) {
			int l = scsi_lun_entry_decode(buf);
			if (l > 16383)
				abort();
		}
		break;
	case 10:
		if (real >= 8) {
			unsigned t, l;
			if (vs_lun_decode(buf, &t, &l) == 0 && (t > 255 || l > 16383))
				abort();
		}
		break;
	case 11:
		/* A response header with the default 96 sense bytes: 108. */
		if (real >= 108) {
			uint8_t sense[20];
			struct vscsi_cmd cmd;
			memset(&cmd, 0, sizeof(cmd));
			cmd.sense = sense;
			cmd.sense_cap = flag ? sizeof(sense) : 0;
			vs_decode_response(buf, 96, 4096, &cmd);
			if (cmd.sense_len > (flag ? sizeof(sense) : 0) || cmd.resid > 4096)
				abort();
		}
		break;
	case 12: {
		struct vs_media_event ev;
		int r = vs_parse_media_event(buf, (uint32_t)real, &ev);
		if (r != 0 && r != -VSCSI_ENOENT && r != -VSCSI_EIO)
			abort();
		if (r == 0 && ev.event > 15)
			abort();
		break;
	}
	case 13: {
		/* The device's pages, split where the first byte says: VPD 00h,
		 * then 83h; INQUIRY strings from the data too.  The names must
		 * be terminated and hold only what udev allows (no blanks, no
		 * '/'). */
		size_t cut = real ? buf[0] % (real + 1) : 0;
		vs_parse_inquiry(buf, (uint32_t)real, &info);
		vs_parse_vpd_00(buf, (uint32_t)cut, &info);
		vs_parse_vpd_80(buf + cut, (uint32_t)(real - cut), &info);
		vs_parse_vpd_83(buf + cut, (uint32_t)(real - cut), &info);
		char serial[VSCSI_UDEV_ID_MAX], wwn[VSCSI_UDEV_ID_MAX];
		vscsi_lun_udev_ids(&info, serial, flag ? sizeof(serial) : 7, wwn,
				   flag ? sizeof(wwn) : 5);
		if (!memchr(serial, 0, sizeof(serial)) || !memchr(wwn, 0, sizeof(wwn)))
			abort();
		if (strchr(serial, ' ') || strchr(serial, '/') || strchr(wwn, '/'))
			abort();
		break;
	}
	}
	check_strings(&info);
	free(buf);
	return 0;
}
