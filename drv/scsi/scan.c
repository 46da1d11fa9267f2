/*
 * scan.c - finding LUNs and describing them: the job of Linux's
 * scsi_scan.c (REPORT LUNS, INQUIRY) plus sd's revalidation (TEST UNIT
 * READY, READ CAPACITY, MODE SENSE).
 *
 *   vs_scan, vs_scan_target   targets 0..max_target: REPORT LUNS (SPC-4 §6.33)
 *   vs_scan_lun               INQUIRY (SPC-4 §6.4.2), its VPD pages (SPC-4 §7.8)
 *   vscsi_lun_revalidate      TEST UNIT READY through unit attentions, READ
 *                             CAPACITY (SBC-3), MODE SENSE
 *
 * Per target 0..max_target (both bounds inclusive: the device
 * configuration's max_target and max_lun are the highest numbers in use,
 * virtio 1.2 §5.6.4): REPORT LUNS to LUN 0, because QEMU implements no
 * REPORT LUNS well-known logical unit; the buffer grows when the list is
 * longer than it; the virtio response BAD_TARGET means no target (skipped
 * at once); if REPORT LUNS is refused, INQUIRY of LUNs 0..n-1.  Per LUN:
 * INQUIRY (peripheral qualifier 0 only: QEMU lists LUN 0 in REPORT LUNS
 * even when no device is there), the VPD pages it lists, TEST UNIT READY
 * through unit attentions, READ CAPACITY and MODE SENSE.  The data the
 * device returns is parsed by parse.c.
 */
#include "scsi/internal.h"

#define TUR_TRIES 12
#define SEQ_SCAN_DEFAULT 8
#define MAX_REPORT_LUNS 16384u

static bool verbose(const struct vscsi_ctrl *c)
{
	return c->opts.verbose >= 2;
}

/* One blocking command for the scan: always quiet (failures are
 * expected), UA retried unless asked otherwise; *sense (may be NULL) gets
 * the decoded sense of a CHECK CONDITION (else it is zeroed). */
static int scan_cmd_sense_out(struct vscsi_ctrl *c, unsigned t, unsigned l, const uint8_t *cdb,
			      unsigned cdb_len, void *buf, uint32_t len, uint32_t *got,
			      struct vscsi_cmd *out, unsigned flags, struct scsi_sense *sense_out)
{
	struct vscsi_sg sg = { buf, len };
	struct vscsi_cmd cmd;
	uint8_t sense[VS_SENSE_SIZE];
	vs_memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)cdb_len;
	cmd.dir = len ? VSCSI_DATA_FROM_DEVICE : VSCSI_DATA_NONE;
	cmd.sg = len ? &sg : NULL;
	cmd.sg_count = len ? 1 : 0;
	cmd.sense = sense;
	cmd.sense_cap = sizeof(sense);
	cmd.queue = VSCSI_QUEUE_ANY;
	if (len)
		vs_memset(buf, 0, len);
	int r = vscsi_exec(c, t, l, &cmd, VSCSI_EXEC_QUIET | flags);
	if (got)
		*got = r == 0 ? len - cmd.resid : 0;
	if (sense_out) {
		vs_memset(sense_out, 0, sizeof(*sense_out));
		if (r == -VSCSI_EIO && cmd.response == VSCSI_S_OK &&
		    cmd.status == SCSI_STATUS_CHECK_CONDITION)
			scsi_sense_decode(sense, cmd.sense_len, sense_out);
	}
	if (out) {
		*out = cmd;
		out->sense = NULL; /* the local buffer dies here */
		out->cdb = NULL;
		out->sg = NULL;
	}
	if (verbose(c))
		vs_log(c->glue, VS_LOG_INFO, "vscsi host%u: %u:%u %s -> %s", c->host, t, l,
		       scsi_opcode_name(cdb[0]) ? scsi_opcode_name(cdb[0]) : "?",
		       vscsi_strerror(r));
	return r;
}

static int scan_cmd(struct vscsi_ctrl *c, unsigned t, unsigned l, const uint8_t *cdb,
		    unsigned cdb_len, void *buf, uint32_t len, uint32_t *got,
		    struct vscsi_cmd *out, unsigned flags)
{
	return scan_cmd_sense_out(c, t, l, cdb, cdb_len, buf, len, got, out, flags, NULL);
}

/* CHECK CONDITION, ILLEGAL REQUEST (SPC-4 §4.5.6): the device refused the
 * command as such (not supported, invalid field); a definite answer. */
static bool illegal_request(int r, const struct scsi_sense *s)
{
	return r == -VSCSI_EIO && s->valid && s->key == SCSI_SK_ILLEGAL_REQUEST;
}

/* Like scan_cmd but hands back the decoded sense too. */
static int scan_cmd_sense(struct vscsi_ctrl *c, unsigned t, unsigned l, const uint8_t *cdb,
			  unsigned cdb_len, struct scsi_sense *s, unsigned flags)
{
	struct vscsi_cmd cmd;
	uint8_t sense[VS_SENSE_SIZE];
	vs_memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)cdb_len;
	cmd.dir = VSCSI_DATA_NONE;
	cmd.sense = sense;
	cmd.sense_cap = sizeof(sense);
	cmd.queue = VSCSI_QUEUE_ANY;
	int r = vscsi_exec(c, t, l, &cmd, VSCSI_EXEC_QUIET | flags);
	vs_memset(s, 0, sizeof(*s));
	if (r == -VSCSI_EIO && cmd.status == SCSI_STATUS_CHECK_CONDITION)
		scsi_sense_decode(sense, cmd.sense_len, s);
	return r;
}

/* --- one LUN --------------------------------------------------------------------- */

static bool has_vpd(const struct vscsi_lun_info *info, uint8_t page)
{
	for (unsigned i = 0; i < info->n_vpd_pages; i++)
		if (info->vpd_pages[i] == page)
			return true;
	return false;
}

static void read_vpd(struct vscsi_ctrl *c, struct vscsi_lun *lun)
{
	struct vscsi_lun_info *info = &lun->info;
	unsigned t = info->target, l = info->lun;
	uint8_t cdb[SCSI_MAX_CDB], d[256];
	uint32_t got;
	info->n_vpd_pages = 0;
	unsigned n = scsi_cdb_inquiry(cdb, true, SCSI_VPD_SUPPORTED_PAGES, 255);
	if (scan_cmd(c, t, l, cdb, n, d, 255, &got, NULL, 0) < 0)
		return;
	vs_parse_vpd_00(d, got, info);

	if (has_vpd(info, SCSI_VPD_UNIT_SERIAL)) {
		n = scsi_cdb_inquiry(cdb, true, SCSI_VPD_UNIT_SERIAL, 255);
		if (scan_cmd(c, t, l, cdb, n, d, 255, &got, NULL, 0) == 0)
			vs_parse_vpd_80(d, got, info);
	}
	if (has_vpd(info, SCSI_VPD_DEVICE_ID)) {
		n = scsi_cdb_inquiry(cdb, true, SCSI_VPD_DEVICE_ID, 255);
		if (scan_cmd(c, t, l, cdb, n, d, 255, &got, NULL, 0) == 0)
			vs_parse_vpd_83(d, got, info);
	}
	if (has_vpd(info, SCSI_VPD_BLOCK_LIMITS)) {
		n = scsi_cdb_inquiry(cdb, true, SCSI_VPD_BLOCK_LIMITS, 64);
		if (scan_cmd(c, t, l, cdb, n, d, 64, &got, NULL, 0) == 0)
			lun->vpd_max_xfer_blocks = vs_parse_vpd_b0(d, got, info);
	}
	if (has_vpd(info, SCSI_VPD_BLOCK_CHARACTERISTICS)) {
		n = scsi_cdb_inquiry(cdb, true, SCSI_VPD_BLOCK_CHARACTERISTICS, 64);
		if (scan_cmd(c, t, l, cdb, n, d, 64, &got, NULL, 0) == 0)
			vs_parse_vpd_b1(d, got, info);
	}
	if (has_vpd(info, SCSI_VPD_LB_PROVISIONING)) {
		n = scsi_cdb_inquiry(cdb, true, SCSI_VPD_LB_PROVISIONING, 64);
		if (scan_cmd(c, t, l, cdb, n, d, 64, &got, NULL, 0) == 0)
			vs_parse_vpd_b2(d, got, info);
	}
}

static bool has_blocks(uint8_t type)
{
	return type == SCSI_TYPE_DISK || type == SCSI_TYPE_CDROM || type == SCSI_TYPE_WORM ||
	       type == SCSI_TYPE_OPTICAL || type == SCSI_TYPE_RBC || type == SCSI_TYPE_ZBC;
}

/*
 * TEST UNIT READY until the unit attentions are consumed (29/00 after
 * every reset, 3F/0E after hot-plug, 2A/09 after a resize ...).  NOT READY
 * 04/02 asks for START STOP UNIT; 3A/xx means no medium, which a CD-ROM
 * may well have.  Returns 0 ready, -VSCSI_ENOMEDIUM, or another error.
 */
static int wait_ready(struct vscsi_ctrl *c, struct vscsi_lun *lun)
{
	unsigned t = lun->info.target, l = lun->info.lun;
	uint8_t cdb[SCSI_MAX_CDB];
	bool started = false;
	int r = -VSCSI_EIO;
	for (int i = 0; i < TUR_TRIES; i++) {
		struct scsi_sense s;
		unsigned n = scsi_cdb_test_unit_ready(cdb);
		r = scan_cmd_sense(c, t, l, cdb, n, &s, VSCSI_EXEC_NO_RETRY);
		if (r == 0)
			return 0;
		if (r != -VSCSI_EIO || !s.valid)
			return r;
		if (s.key == SCSI_SK_UNIT_ATTENTION) {
			if (verbose(c))
				vs_log(c->glue, VS_LOG_INFO,
				       "vscsi %u:0:%u:%u: TEST UNIT READY: unit attention %02x/%02x (%s), retrying",
				       c->host, t, l, s.asc, s.ascq, scsi_asc_text(s.asc, s.ascq));
			continue; /* the command did not run; the attention is gone now */
		}
		if (s.key == SCSI_SK_NOT_READY && s.asc == 0x3a)
			return -VSCSI_ENOMEDIUM;
		if (s.key == SCSI_SK_NOT_READY && s.asc == 0x04) {
			if (s.ascq == 0x02 && !started) {
				n = scsi_cdb_start_stop_unit(cdb, false, false, true);
				scan_cmd_sense(c, t, l, cdb, n, &s, VSCSI_EXEC_RETRY_UA);
				started = true;
				continue;
			}
			if (s.ascq == 0x01 && c->glue->delay_us) {
				vs_delay_us(c->glue, 100000); /* becoming ready */
				continue;
			}
		}
		return r;
	}
	return r;
}

static void read_mode(struct vscsi_ctrl *c, struct vscsi_lun *lun)
{
	unsigned t = lun->info.target, l = lun->info.lun;
	uint8_t cdb[SCSI_MAX_CDB], d[255];
	uint32_t got;
	unsigned n = scsi_cdb_mode_sense6(cdb, false, SCSI_MODE_PC_CURRENT, SCSI_MODE_PAGE_ALL, 0,
					  255);
	if (scan_cmd(c, t, l, cdb, n, d, 255, &got, NULL, VSCSI_EXEC_RETRY_UA) == 0) {
		vs_parse_mode(d, got, false, &lun->info);
		return;
	}
	n = scsi_cdb_mode_sense10(cdb, false, SCSI_MODE_PC_CURRENT, SCSI_MODE_PAGE_ALL, 0, 255);
	if (scan_cmd(c, t, l, cdb, n, d, 255, &got, NULL, VSCSI_EXEC_RETRY_UA) == 0)
		vs_parse_mode(d, got, true, &lun->info);
}

/* Per-command limits of the LUN: the adapter's, the VPD B0h MAXIMUM
 * TRANSFER LENGTH, whole blocks; and how many commands may be outstanding
 * (cmd_per_lun, virtio 1.2 §5.6.4, no more than the request slots). */
static void compute_limits(struct vscsi_ctrl *c, struct vscsi_lun *lun)
{
	struct vscsi_lun_info *info = &lun->info;
	struct vs_adapter_limits lim;
	vs_adapter_get_limits(c->adapter, &lim);
	uint64_t mt = lim.max_transfer;
	if (lun->vpd_max_xfer_blocks && info->block_size) {
		uint64_t v = (uint64_t)lun->vpd_max_xfer_blocks * info->block_size;
		if (v < mt)
			mt = v;
	}
	if (info->block_size && mt >= info->block_size)
		mt -= mt % info->block_size; /* whole blocks */
	info->max_transfer_bytes = (uint32_t)mt;
	info->max_segments = lim.max_segments;
	uint32_t depth = lim.cmd_per_lun;
	if (lim.request_slots && depth > lim.request_slots)
		depth = lim.request_slots;
	info->queue_depth = depth;
}

/* Capacity, medium and write protection; notifies changes. */
static int refresh(struct vscsi_ctrl *c, struct vscsi_lun *lun, bool announce)
{
	struct vscsi_lun_info *info = &lun->info;
	unsigned t = info->target, l = info->lun;
	uint64_t old_blocks = info->blocks;
	uint32_t old_bs = info->block_size;
	bool old_medium = info->medium;

	int r = wait_ready(c, lun);
	info->ready = r == 0;
	info->medium = r != -VSCSI_ENOMEDIUM;
	if (r == 0) {
		uint8_t cdb[SCSI_MAX_CDB], d[32];
		uint32_t got;
		unsigned n = scsi_cdb_read_capacity10(cdb);
		r = scan_cmd(c, t, l, cdb, n, d, 8, &got, NULL, VSCSI_EXEC_RETRY_UA);
		if (r == 0 && vs_parse_capacity10(d, got, &info->blocks, &info->block_size)) {
			/* (16) when (10) cannot tell, and for the thin-provisioning
			 * bits of disks that may have them (as Linux's sd). */
			bool want16 = info->blocks > 0xffffffffu ||
				      (info->type == SCSI_TYPE_DISK &&
				       (has_vpd(info, SCSI_VPD_LB_PROVISIONING) ||
					info->scsi_version >= 5));
			if (want16) {
				n = scsi_cdb_read_capacity16(cdb, 32);
				if (scan_cmd(c, t, l, cdb, n, d, 32, &got, NULL,
						VSCSI_EXEC_RETRY_UA) == 0)
					vs_parse_capacity16(d, got, info);
			}
		} else if (r == 0) {
			r = -VSCSI_EIO;
		}
		if (r == 0 && (info->block_size < 256 || info->block_size > 65536 ||
			       (info->block_size & (info->block_size - 1)))) {
			vs_log(c->glue, VS_LOG_WARN, "vscsi %u:0:%u:%u: odd block size %u", c->host,
			       t, l, info->block_size);
			if (info->type == SCSI_TYPE_CDROM && info->block_size == 0)
				info->block_size = 2048;
		}
		if (!info->phys_block_size || info->phys_block_size < info->block_size)
			info->phys_block_size = info->block_size;
	}
	if (r != 0) {
		info->blocks = 0;
		if (!info->block_size)
			info->block_size = info->type == SCSI_TYPE_CDROM ? 2048 : 512;
	}
	if (info->type == SCSI_TYPE_CDROM || info->type == SCSI_TYPE_WORM)
		info->read_only = true; /* MMC writing is not supported by this driver */
	else if (info->medium)
		read_mode(c, lun);
	compute_limits(c, lun);

	if (announce) {
		if (old_medium != info->medium)
			vs_notify_change(lun, VSCSI_CHANGE_MEDIUM);
		else if (old_blocks != info->blocks || old_bs != info->block_size) {
			vs_log(c->glue, VS_LOG_INFO,
			       "vscsi %u:0:%u:%u: %s capacity changed: %llu -> %llu blocks", c->host,
			       t, l, info->name, (unsigned long long)old_blocks,
			       (unsigned long long)info->blocks);
			vs_notify_change(lun, VSCSI_CHANGE_RESIZED);
		}
	}
	return r == -VSCSI_ENOMEDIUM ? 0 : r;
}

int vscsi_lun_revalidate(struct vscsi_lun *lun)
{
	if (!lun || lun->info.gone)
		return -VSCSI_ENODEV;
	return refresh(lun->ctrl, lun, true);
}

static void announce(struct vscsi_ctrl *c, struct vscsi_lun *lun)
{
	const struct vscsi_lun_info *i = &lun->info;
	char size[48] = "";
	if (has_blocks(i->type) && i->medium && i->blocks) {
		uint64_t bytes = i->blocks * i->block_size;
		uint64_t mib = bytes >> 20;
		vs_snprintf(size, sizeof(size), " %llu x %u (%llu MiB)",
			    (unsigned long long)i->blocks, i->block_size, (unsigned long long)mib);
	} else if (has_blocks(i->type) && !i->medium) {
		vs_snprintf(size, sizeof(size), " no medium");
	}
	vs_log(c->glue, VS_LOG_INFO, "vscsi %u:0:%u:%u: %-7s %-8s %-16s %-4s %s%s%s%s%s",
	       c->host, i->target, i->lun, scsi_type_name(i->type), i->vendor, i->model, i->rev,
	       i->name[0] ? i->name : "-", size,
	       i->read_only && i->type == SCSI_TYPE_DISK ? " ro" : "",
	       i->serial[0] ? " serial " : "", i->serial);
}

int vs_scan_lun(struct vscsi_ctrl *c, unsigned t, unsigned l)
{
	uint8_t cdb[SCSI_MAX_CDB], d[96];
	uint32_t got;
	struct vscsi_cmd res;
	struct scsi_sense sense;
	unsigned n = scsi_cdb_inquiry(cdb, false, 0, sizeof(d));
	int r = scan_cmd_sense_out(c, t, l, cdb, n, d, sizeof(d), &got, &res, 0, &sense);
	/* LOGICAL UNIT NOT SUPPORTED (25h/00h, SPC-4) says "no LUN here" as
	 * clearly as peripheral qualifier 3 does. */
	if (illegal_request(r, &sense) && sense.asc == 0x25)
		return -VSCSI_ENXIO;
	if (r < 0)
		return r;
	r = vs_parse_inquiry_present(d, got);
	if (r < 0)
		return r;

	struct vscsi_lun *lun = vs_lun_get(c, t, l);
	if (!lun)
		return -VSCSI_ENOMEM;
	bool is_new = lun->info.gone;
	uint8_t old_type = lun->info.type;
	if (is_new) {
		vs_memset(&lun->info, 0, sizeof(lun->info));
		lun->info.host = c->host;
		lun->info.target = t;
		lun->info.lun = l;
		lun->vpd_max_xfer_blocks = 0;
		lun->name_index = -1;
	}
	vs_parse_inquiry(d, got, &lun->info);
	if (!is_new && old_type != lun->info.type) {
		/* A different device answers at this address now. */
		vs_lun_mark_gone(lun);
		return vs_scan_lun(c, t, l);
	}
	lun->seen = true;
	read_vpd(c, lun);
	if (has_blocks(lun->info.type))
		refresh(c, lun, !is_new);
	else
		compute_limits(c, lun);
	lun->info.gone = false;
	if (is_new) {
		vs_lun_assign_name(lun);
		announce(c, lun);
		vs_notify_change(lun, VSCSI_CHANGE_ADDED);
	}
	return 0;
}

static void sort_luns(uint16_t *v, unsigned n)
{
	/* Shell sort: the list is usually short and nearly sorted. */
	for (unsigned gap = n / 2; gap; gap /= 2)
		for (unsigned i = gap; i < n; i++)
			for (unsigned j = i; j >= gap && v[j - gap] > v[j]; j -= gap) {
				uint16_t x = v[j];
				v[j] = v[j - gap];
				v[j - gap] = x;
			}
}

/* The last LUN to look at: the device's max_lun (at most 16383, the
 * addressing of virtio 1.2 §5.6.6.1) and the caller's bound. */
static uint32_t scan_max_lun(const struct vscsi_ctrl *c)
{
	struct vs_adapter_limits lim;
	vs_adapter_get_limits(c->adapter, &lim);
	uint32_t m = lim.max_lun > 16383 ? 16383 : lim.max_lun;
	return c->opts.scan_max_lun < m ? c->opts.scan_max_lun : m;
}

/* The known LUNs of target t numbered lo..hi stay as they are: the scan
 * got no definite answer about them.  Returns how many. */
static unsigned keep_known(struct vscsi_ctrl *c, unsigned t, uint32_t lo, uint32_t hi)
{
	unsigned n = 0;
	for (struct vscsi_lun *l = c->luns; l; l = l->next)
		if (l->info.target == t && l->info.lun >= lo && l->info.lun <= hi &&
		    !l->info.gone) {
			l->seen = true;
			n++;
		}
	return n;
}

/* One LUN the scan asked about: present (0), definitely absent (ENXIO:
 * peripheral qualifier 1 or 3, LOGICAL UNIT NOT SUPPORTED, BAD_TARGET or
 * INCORRECT_LUN), or no definite answer (a timeout, BUSY, a reset, a
 * transport failure ...): then a LUN already known stays. */
static bool scan_one(struct vscsi_ctrl *c, unsigned t, unsigned l)
{
	int r = vs_scan_lun(c, t, l);
	if (r == 0)
		return true;
	if (r != -VSCSI_ENXIO && keep_known(c, t, l, l))
		vs_log(c->glue, VS_LOG_WARN, "vscsi host%u: %u:%u: INQUIRY failed (%s): keeping "
		       "the LUN", c->host, t, l, vscsi_strerror(r));
	return false;
}

/*
 * Every LUN of target t, marking each one found (`seen`).  Only definite
 * answers let a rescan remove a known LUN: the virtio response BAD_TARGET
 * (no target: nothing is marked), a good REPORT LUNS list (SPC-4 §6.33), or
 * REPORT LUNS refused with ILLEGAL REQUEST followed by the sequential
 * INQUIRY of LUNs 0..n-1, whose definite answers count for those LUNs
 * only.  Anything else (a timeout, BUSY, a reset, a transport failure)
 * keeps the known LUNs of the target untouched, and says so.
 */
static int scan_target_luns(struct vscsi_ctrl *c, unsigned t)
{
	const struct vscsi_glue *g = c->glue;
	uint32_t maxl = scan_max_lun(c);
	uint32_t cap = 8 + 8 * 32; /* grown when the target lists more */
	uint8_t *buf = NULL;
	uint16_t *luns = NULL;
	size_t luns_size = 0;
	int nluns = -1;
	bool refused = false;
	int failure = -VSCSI_EPROTO; /* a list that never fit */
	uint64_t bus;

	for (int attempt = 0; attempt < 3; attempt++) {
		buf = g->dma_alloc(g->ctx, cap, 64, &bus);
		if (!buf) {
			failure = -VSCSI_ENOMEM;
			break;
		}
		uint8_t cdb[SCSI_MAX_CDB];
		uint32_t got;
		struct vscsi_cmd res;
		struct scsi_sense sense;
		unsigned n = scsi_cdb_report_luns(cdb, 0, cap);
		int r = scan_cmd_sense_out(c, t, 0, cdb, n, buf, cap, &got, &res,
					   VSCSI_EXEC_RETRY_UA, &sense);
		if (r == -VSCSI_ENXIO && res.response == VSCSI_S_BAD_TARGET) {
			g->dma_free(g->ctx, buf, cap);
			return 0; /* no target here: no retries, no fallback */
		}
		if (illegal_request(r, &sense)) {
			refused = true; /* sequential scan below */
			break;
		}
		if (r < 0) {
			failure = r;
			break;
		}
		uint32_t listed;
		luns_size = sizeof(uint16_t) * ((cap - 8) / 8 + 1);
		luns = g->dma_alloc(g->ctx, luns_size, 64, &bus);
		if (!luns) {
			failure = -VSCSI_ENOMEM;
			break;
		}
		nluns = scsi_report_luns_parse(buf, got, luns, (cap - 8) / 8 + 1, &listed);
		if (nluns >= 0 && listed > (got - 8) / 8 && cap < 8 + 8 * MAX_REPORT_LUNS) {
			/* Truncated: ask again with room for the whole list. */
			g->dma_free(g->ctx, luns, luns_size);
			g->dma_free(g->ctx, buf, cap);
			luns = NULL;
			buf = NULL;
			uint64_t want = 8 + 8ull * listed;
			cap = (uint32_t)(want > 8 + 8 * MAX_REPORT_LUNS ? 8 + 8 * MAX_REPORT_LUNS
									   : want);
			nluns = -1;
			continue;
		}
		if (nluns < 0)
			failure = nluns; /* a list that cannot be read is no answer */
		break;
	}
	if (buf)
		g->dma_free(g->ctx, buf, cap);

	int found = 0;
	if (nluns >= 0) {
		sort_luns(luns, (unsigned)nluns);
		for (int i = 0; i < nluns; i++)
			if (luns[i] <= maxl && scan_one(c, t, luns[i]))
				found++;
	} else if (refused) {
		/* REPORT LUNS refused: INQUIRY LUNs 0..n-1 (bounded); the LUNs
		 * beyond got no answer and stay as they are. */
		uint32_t seq = c->opts.seq_scan_luns ? c->opts.seq_scan_luns : SEQ_SCAN_DEFAULT;
		for (uint32_t l = 0; l < seq && l <= maxl; l++) {
			/* A missing LUN 0 does not end the walk: others may exist. */
			if (scan_one(c, t, l))
				found++;
		}
		keep_known(c, t, seq, 0xffffffffu);
	} else {
		unsigned kept = keep_known(c, t, 0, 0xffffffffu);
		if (kept)
			vs_log(g, VS_LOG_WARN, "vscsi host%u: target %u: REPORT LUNS failed (%s): "
			       "keeping its %u known LUN(s)", c->host, t, vscsi_strerror(failure),
			       kept);
		found = (int)kept;
	}
	if (luns)
		g->dma_free(g->ctx, luns, luns_size);
	return found;
}

int vs_scan_target(struct vscsi_ctrl *c, unsigned t, bool remove_missing)
{
	if (vs_adapter_is_dead(c->adapter))
		return -VSCSI_ENODEV;
	bool was = c->scanning;
	c->scanning = true;
	for (struct vscsi_lun *l = c->luns; l; l = l->next)
		if (l->info.target == t)
			l->seen = false;
	int n = scan_target_luns(c, t);
	if (remove_missing)
		for (struct vscsi_lun *l = c->luns; l; l = l->next)
			if (l->info.target == t && !l->seen && !l->info.gone)
				vs_lun_mark_gone(l);
	c->scanning = was;
	return n;
}

int vs_scan(struct vscsi_ctrl *c)
{
	if (vs_adapter_is_dead(c->adapter))
		return -VSCSI_ENODEV;
	if (c->scanning)
		return -VSCSI_EBUSY;
	c->scanning = true;
	uint64_t t0 = vs_now(c->glue);
	for (struct vscsi_lun *l = c->luns; l; l = l->next)
		l->seen = false;
	struct vs_adapter_limits lim;
	vs_adapter_get_limits(c->adapter, &lim);
	uint32_t maxt = lim.max_target > 255 ? 255 : lim.max_target;
	if (c->opts.scan_max_target < maxt)
		maxt = c->opts.scan_max_target;
	for (uint32_t t = 0; t <= maxt && !vs_adapter_is_dead(c->adapter); t++)
		scan_target_luns(c, t);
	int present = 0;
	for (struct vscsi_lun *l = c->luns; l; l = l->next) {
		if (!l->seen && !l->info.gone)
			vs_lun_mark_gone(l);
		if (!l->info.gone)
			present++;
	}
	c->last_scan_ns = vs_now(c->glue) - t0;
	c->rescans++;
	c->scanning = false;
	vs_log(c->glue, VS_LOG_INFO, "vscsi host%u: scan found %d LUN(s) on targets 0..%u in %llu ms",
	       c->host, present, maxt, (unsigned long long)(c->last_scan_ns / 1000000u));
	return present;
}

int vscsi_rescan(struct vscsi_ctrl *c)
{
	return c ? vs_scan(c) : -VSCSI_EINVAL;
}

int vscsi_rescan_target(struct vscsi_ctrl *c, unsigned target)
{
	if (!c || target > 255)
		return -VSCSI_EINVAL;
	return vs_scan_target(c, target, true);
}

int vscsi_rescan_all(void)
{
	int total = 0;
	for (struct vscsi_ctrl *c = vs_ctrl_list; c; c = c->next) {
		int r = vs_scan(c);
		if (r > 0)
			total += r;
	}
	return total;
}
