/*
 * scsi_target.c - the SCSI target model and the fixture of scsi_target.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scsi_target.h"
#include "scsi/internal.h"
#include "support/host_glue.h"
#include "virtio_scsi/wire.h"

struct scsi_target_model model;
struct vscsi_glue glue;
struct vscsi_ctrl *ctrl;
static struct sim_dev *notified; /* the device being served (tests may run two) */
static struct sim_chain fetched;
static uint8_t data_out[1 << 21], data_in[1 << 21]; /* one command's data */

struct sim_lun *model_add_lun(unsigned t, unsigned l, uint8_t type, uint64_t blocks, uint32_t bs)
{
	for (unsigned i = 0; i < MODEL_MAX_LUNS; i++) {
		struct sim_lun *x = &model.lun[i];
		if (x->data || x->present)
			continue;
		x->present = true;
		x->target = t;
		x->lun = l;
		x->type = type;
		x->blocks = blocks;
		x->bs = bs;
		x->data = calloc(blocks ? blocks : 1, bs);
		x->medium = true;
		x->removable = type == 5;
		x->ua = true; /* every LUN starts with 29/00 (power on / reset) */
		x->ua_asc = 0x29;
		x->ua_ascq = 0;
		return x;
	}
	fprintf(stderr, "scsi_target: more than %d LUNs\n", MODEL_MAX_LUNS);
	abort();
}

struct sim_lun *model_find_lun(unsigned t, unsigned l)
{
	for (unsigned i = 0; i < MODEL_MAX_LUNS; i++)
		if (model.lun[i].present && model.lun[i].target == t && model.lun[i].lun == l)
			return &model.lun[i];
	return NULL;
}

static bool target_exists(unsigned t)
{
	for (unsigned i = 0; i < MODEL_MAX_LUNS; i++)
		if (model.lun[i].present && model.lun[i].target == t)
			return true;
	return false;
}

static void cfg32(uint32_t off, uint32_t v) { vs_put_le32(model.sim.config + off, v); }
static void cfg16(uint32_t off, uint16_t v) { vs_put_le16(model.sim.config + off, v); }

struct result {
	uint8_t response, status;
	uint8_t sense[18];
	uint32_t sense_len;
	uint32_t din;            /* data-in bytes produced */
	bool short_out;          /* a data-out command took fewer bytes than sent */
	uint32_t dout_taken;     /* then: how many */
};

static void check_condition(struct result *r, uint8_t key, uint8_t asc, uint8_t ascq)
{
	r->status = SCSI_STATUS_CHECK_CONDITION;
	memset(r->sense, 0, 18);
	r->sense[0] = 0x70;
	r->sense[2] = key;
	r->sense[7] = 10;
	r->sense[12] = asc;
	r->sense[13] = ascq;
	r->sense_len = 18;
}

static uint32_t put_data(const void *src, uint32_t n, uint32_t alloc, uint32_t cap)
{
	uint32_t k = n < alloc ? n : alloc;
	if (k > cap)
		k = cap;
	memcpy(data_in, src, k);
	return k;
}

static void target_inquiry(struct sim_lun *L, unsigned l, const uint8_t *cdb, uint32_t cap,
			   struct result *r)
{
	uint16_t alloc = vs_be16(cdb + 3);
	uint8_t d[256];
	memset(d, 0, sizeof(d));
	if (!(cdb[1] & 1)) {
		if (!L) {
			d[0] = l == 0 ? 0x3f : 0x7f;
		} else {
			d[0] = L->type;
			d[1] = L->removable ? 0x80 : 0;
			d[2] = 5;
			d[3] = 0x12;
			d[4] = 31;
			d[7] = 0x12;
			memcpy(d + 8, "QEMU    ", 8);
			memcpy(d + 16, L->type == 5 ? "QEMU CD-ROM     " : "QEMU HARDDISK   ", 16);
			memcpy(d + 32, "2.5+", 4);
		}
		r->din = put_data(d, 36, alloc, cap);
		return;
	}
	if (!L) {
		check_condition(r, 5, 0x25, 0);
		return;
	}
	uint32_t n = 4;
	d[1] = cdb[2];
	switch (cdb[2]) {
	case 0x00: {
		uint8_t pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb2 };
		memcpy(d + 4, pages, sizeof(pages));
		n += sizeof(pages);
		break;
	}
	case 0x80: {
		const char *s = L->serial ? L->serial : "SER0";
		memcpy(d + 4, s, strlen(s));
		n += (uint32_t)strlen(s);
		break;
	}
	case 0x83:
		d[4] = 1;
		d[5] = 3;
		d[7] = 8;
		d[8] = 0x50;
		d[15] = (uint8_t)(L->target * 16 + L->lun);
		n += 12;
		break;
	case 0xb0:
		vs_put_be32(d + 8, 64); /* max transfer: 64 blocks */
		vs_put_be32(d + 20, L->lbp_set ? L->max_unmap_blocks : 1024);
		vs_put_be32(d + 24, L->lbp_set ? L->max_unmap_desc : 255);
		if (L->lbp_set) {
			vs_put_be32(d + 28, L->unmap_gran);
			vs_put_be32(d + 32, (L->ugavalid ? 0x80000000u : 0) | L->unmap_align);
			vs_put_be64(d + 36, L->max_ws_blocks);
		}
		n = 64;
		break;
	case 0xb2:
		d[5] = L->lbp_set ? (uint8_t)((L->lbpu ? 0x80 : 0) | (L->lbpws ? 0x40 : 0)) : 0xc0;
		n = 8;
		break;
	default:
		check_condition(r, 5, 0x24, 0);
		return;
	}
	vs_put_be16(d + 2, (uint16_t)(n - 4));
	r->din = put_data(d, n, alloc, cap);
}

static void target_report_luns(unsigned t, const uint8_t *cdb, uint32_t cap, struct result *r)
{
	model.report_luns++;
	uint32_t alloc = vs_be32(cdb + 6);
	if (model.no_report_luns) {
		check_condition(r, 5, 0x20, 0);
		return;
	}
	if (alloc < 16) {
		check_condition(r, 5, 0x24, 0);
		return;
	}
	static uint8_t d[8 + 8 * 32];
	memset(d, 0, sizeof(d));
	unsigned n = 1; /* LUN 0 always, as QEMU */
	for (unsigned i = 0; i < MODEL_MAX_LUNS; i++) {
		struct sim_lun *x = &model.lun[i];
		if (!x->present || x->target != t || x->lun == 0)
			continue;
		uint8_t *e = d + 8 + 8 * n++;
		if (x->lun < 256)
			e[1] = (uint8_t)x->lun;
		else {
			e[0] = (uint8_t)(0x40 | (x->lun >> 8));
			e[1] = (uint8_t)x->lun;
		}
	}
	vs_put_be32(d, 8 * n);
	r->din = put_data(d, 8 + 8 * n, alloc, cap);
}

static void log_io(const struct sim_lun *L, uint8_t op, bool fua, uint64_t lba, uint32_t blocks)
{
	if (model.nio >= MODEL_MAX_IO)
		return;
	model.io[model.nio++] = (struct sim_io){ L->target, L->lun, op, fua, lba, blocks };
}

static void target_rw(struct sim_lun *L, const uint8_t *cdb, const uint8_t *dout, uint32_t dout_len,
		      uint32_t cap, struct result *r)
{
	bool write = cdb[0] == SCSI_WRITE_10 || cdb[0] == SCSI_WRITE_16;
	uint64_t lba;
	uint32_t n;
	if (cdb[0] == SCSI_READ_10 || cdb[0] == SCSI_WRITE_10) {
		lba = vs_be32(cdb + 2);
		n = vs_be16(cdb + 7);
	} else {
		lba = vs_be64(cdb + 2);
		n = vs_be32(cdb + 10);
	}
	uint64_t len = (uint64_t)n * L->bs;
	if ((write ? dout_len : cap) < len) {
		/* buffer smaller than the CDB asks: not run (QEMU) */
		r->response = VSCSI_S_OVERRUN;
		model.overruns++;
		return;
	}
	if (lba + n > L->blocks) {
		check_condition(r, 5, 0x21, 0);
		return;
	}
	if (write && L->wp) {
		check_condition(r, 7, 0x27, 0);
		return;
	}
	if (len > model.max_xfer)
		model.max_xfer = (uint32_t)len;
	log_io(L, cdb[0], write && (cdb[1] & 0x08), lba, n);
	uint64_t moved = len;
	if (model.short_next && moved > model.short_bytes) {
		/* Short-transfer mode: GOOD status, fewer bytes moved, the
		 * residual (and for data-in the used length) says how many. */
		if (model.short_next != ~0u)
			model.short_next--;
		model.shorted++;
		moved = model.short_bytes;
	}
	if (write) {
		model.writes++;
		memcpy(L->data + lba * L->bs, dout, moved);
		if (moved < len) {
			r->short_out = true;
			r->dout_taken = (uint32_t)moved;
		}
	} else {
		model.reads++;
		memcpy(data_in, L->data + lba * L->bs, moved);
		r->din = (uint32_t)moved;
	}
}

static void target_exec(unsigned t, unsigned l, const uint8_t *cdb, const uint8_t *dout,
			uint32_t dout_len, uint32_t cap, struct result *r)
{
	struct sim_lun *L = model_find_lun(t, l);
	if (cdb[0] == SCSI_INQUIRY) {
		target_inquiry(L, l, cdb, cap, r);
		return;
	}
	if (cdb[0] == SCSI_REPORT_LUNS) {
		if (l != 0)
			check_condition(r, 5, 0x25, 0);
		else
			target_report_luns(t, cdb, cap, r);
		return;
	}
	if (!L) {
		check_condition(r, 5, 0x25, 0);
		return;
	}
	if (L->ua) {
		L->ua = false;
		check_condition(r, 6, L->ua_asc, L->ua_ascq);
		return;
	}
	uint8_t d[64];
	memset(d, 0, sizeof(d));
	switch (cdb[0]) {
	case SCSI_TEST_UNIT_READY:
		if (L->removable && !L->medium)
			check_condition(r, 2, 0x3a, 0);
		return;
	case SCSI_READ_CAPACITY_10:
		if (!L->medium) {
			check_condition(r, 2, 0x3a, 0);
			return;
		}
		vs_put_be32(d, L->blocks - 1 > 0xffffffffu ? 0xffffffffu : (uint32_t)(L->blocks - 1));
		vs_put_be32(d + 4, L->bs);
		r->din = put_data(d, 8, 8, cap);
		return;
	case SCSI_SERVICE_ACTION_IN_16:
		if ((cdb[1] & 0x1f) != 0x10) {
			check_condition(r, 5, 0x24, 0);
			return;
		}
		vs_put_be64(d, L->blocks - 1);
		vs_put_be32(d + 8, L->bs);
		d[14] = 0x80;
		r->din = put_data(d, 32, vs_be32(cdb + 10), cap);
		return;
	case SCSI_READ_10:
	case SCSI_READ_16:
	case SCSI_WRITE_10:
	case SCSI_WRITE_16:
		if (!L->medium) {
			check_condition(r, 2, 0x3a, 0);
			return;
		}
		target_rw(L, cdb, dout, dout_len, cap, r);
		return;
	case SCSI_MODE_SENSE_6: {
		/* The mode parameter header (SPC-4), then the caching page (SBC-4)
		 * when page 08h or all pages (3Fh) were asked for. */
		d[2] = (uint8_t)((L->wp ? 0x80 : 0) | (L->dpofua ? 0x10 : 0));
		uint32_t len = 4;
		uint8_t page = cdb[2] & 0x3f;
		if (L->type == 0 && (page == 0x08 || page == 0x3f)) {
			d[4] = 0x08;
			d[5] = 0x12;
			d[6] = L->wce ? 0x04 : 0;
			len += 20;
		}
		d[0] = (uint8_t)(len - 1);
		r->din = put_data(d, len, cdb[4], cap);
		return;
	}
	case SCSI_SYNCHRONIZE_CACHE_10:
	case SCSI_SYNCHRONIZE_CACHE_16:
		model.syncs++;
		if (model.sync_error) {
			check_condition(r, 3, 0x0c, 0);
			return;
		}
		if (cdb[0] == SCSI_SYNCHRONIZE_CACHE_10)
			log_io(L, cdb[0], false, vs_be32(cdb + 2), vs_be16(cdb + 7));
		else
			log_io(L, cdb[0], false, vs_be64(cdb + 2), vs_be32(cdb + 10));
		return;
	case SCSI_UNMAP: {
		/* SBC-4 UNMAP: a parameter list header, then 16-byte block
		 * descriptors; every descriptor within the device's limits. */
		model.unmaps++;
		if (dout_len < 8 || vs_be16(dout) + 2u > dout_len ||
		    vs_be16(dout + 2) % 16 || 8u + vs_be16(dout + 2) > dout_len) {
			check_condition(r, 5, 0x1a, 0);
			return;
		}
		unsigned nd = vs_be16(dout + 2) / 16;
		uint32_t max_desc = L->lbp_set ? L->max_unmap_desc : 255;
		uint32_t max_blocks = L->lbp_set ? L->max_unmap_blocks : 1024;
		if (nd > max_desc || (L->lbp_set && !L->lbpu)) {
			check_condition(r, 5, 0x24, 0);
			return;
		}
		uint64_t total = 0;
		for (unsigned i = 0; i < nd; i++) {
			uint64_t lba = vs_be64(dout + 8 + 16 * i);
			uint32_t n = vs_be32(dout + 16 + 16 * i);
			total += n;
			if (lba + n > L->blocks) {
				check_condition(r, 5, 0x21, 0);
				return;
			}
		}
		if (total > max_blocks) {
			check_condition(r, 5, 0x24, 0);
			return;
		}
		for (unsigned i = 0; i < nd; i++) {
			uint64_t lba = vs_be64(dout + 8 + 16 * i);
			uint32_t n = vs_be32(dout + 16 + 16 * i);
			log_io(L, SCSI_UNMAP, false, lba, n);
			memset(L->data + lba * L->bs, 0, (size_t)n * L->bs);
		}
		return;
	}
	case SCSI_WRITE_SAME_16: {
		/* SBC-4 WRITE SAME (16): one block of data-out written over the range;
		 * with UNMAP (byte 1 bit 3) the range may be deallocated, which
		 * this model does when the block is all zeroes. */
		model.write_sames++;
		uint64_t lba = vs_be64(cdb + 2);
		uint32_t n = vs_be32(cdb + 10);
		bool unmap = cdb[1] & 0x08;
		uint64_t max = L->lbp_set ? L->max_ws_blocks : 0;
		if (dout_len != L->bs || !n || (max && n > max) ||
		    (unmap && L->lbp_set && !L->lbpws)) {
			check_condition(r, 5, 0x24, 0);
			return;
		}
		if (lba + n > L->blocks) {
			check_condition(r, 5, 0x21, 0);
			return;
		}
		log_io(L, cdb[0], unmap, lba, n);
		for (uint64_t b = 0; b < n; b++)
			memcpy(L->data + (lba + b) * L->bs, dout, L->bs);
		return;
	}
	case SCSI_START_STOP_UNIT:
		if (cdb[4] & 2)
			L->medium = cdb[4] & 1;
		return;
	case SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL:
		return;
	default:
		check_condition(r, 5, 0x20, 0);
		return;
	}
}

static void tag_add(uint64_t tag)
{
	for (unsigned i = 0; i < model.n_outstanding; i++)
		if (model.outstanding_tags[i] == tag)
			model.dup_tags++;
	if (model.n_outstanding < 256)
		model.outstanding_tags[model.n_outstanding++] = tag;
}

static void tag_del(uint64_t tag)
{
	for (unsigned i = 0; i < model.n_outstanding; i++)
		if (model.outstanding_tags[i] == tag) {
			model.outstanding_tags[i] = model.outstanding_tags[--model.n_outstanding];
			return;
		}
}

/* Write the response header (+ data-in) into the chain and complete it.
 * The residual (virtio 1.2 §5.6.6.1) is the data-in room not filled, or
 * for a data-out command the bytes not taken. */
static void respond(unsigned q, const struct sim_chain *c, const struct result *r,
		    uint32_t din_cap)
{
	static uint8_t buf[108 + (1 << 21)];
	memset(buf, 0, 108);
	struct virtio_scsi_cmd_resp *h = (struct virtio_scsi_cmd_resp *)buf;
	h->response = r->response;
	h->status = r->status;
	if (r->response == 0 && r->status) {
		vs_put_le32(h->sense_len, r->sense_len);
		memcpy(h->sense, r->sense, r->sense_len);
	}
	uint32_t din = r->response == 0 ? r->din : 0;
	if (r->response == 0 && r->status == 0)
		vs_put_le32(h->residual, r->short_out ? c->out_bytes - 51 - r->dout_taken
						      : din_cap - din);
	memcpy(buf + 108, data_in, din);
	uint32_t len = sim_write_in(c, buf, 108 + din);
	sim_complete(notified, q, c->id, len);
}

static void do_request(unsigned q, struct sim_chain *c)
{
	model.cmds++;
	uint32_t out = sim_read_out(c, data_out, c->out_bytes);
	if (out < 51 || c->in_bytes < 108) {
		model.bad_headers++;
		struct result r = { .response = VSCSI_S_FAILURE };
		respond(q, c, &r, 0);
		return;
	}
	const uint8_t *h = data_out, *cdb = data_out + 19;
	uint64_t tag = vs_le64(h + 8);
	uint32_t dout_len = out - 51, din_cap = c->in_bytes - 108;
	struct result r;
	memset(&r, 0, sizeof(r));
	unsigned t = h[1], l = 0;
	bool lun_ok = h[0] == 1 && (h[2] == 0 || (h[2] & 0xc0) == 0x40);
	if (lun_ok)
		l = ((h[2] << 8) | h[3]) & 0x3fff;
	if (!lun_ok || !target_exists(t)) {
		r.response = VSCSI_S_BAD_TARGET;
		respond(q, c, &r, din_cap);
		return;
	}
	if (dout_len && din_cap) {
		r.response = VSCSI_S_FAILURE; /* bidirectional without INOUT */
		respond(q, c, &r, din_cap);
		return;
	}
	if (model.busy_next) {
		model.busy_next--;
		r.response = VSCSI_S_BUSY;
		respond(q, c, &r, din_cap);
		return;
	}
	if (model.report_luns_response && cdb[0] == SCSI_REPORT_LUNS) {
		model.report_luns++;
		r.response = model.report_luns_response;
		respond(q, c, &r, din_cap);
		return;
	}
	if ((model.hold_reads && (cdb[0] == SCSI_READ_10 || cdb[0] == SCSI_READ_16)) ||
	    (model.hold_report_luns && cdb[0] == SCSI_REPORT_LUNS)) {
		if (cdb[0] == SCSI_REPORT_LUNS)
			model.report_luns++;
		for (unsigned i = 0; i < MODEL_MAX_HELD; i++) {
			if (model.held[i].used)
				continue;
			model.held[i].used = true;
			model.held[i].sim = notified;
			model.held[i].q = q;
			model.held[i].tag = tag;
			model.held[i].target = t;
			model.held[i].lun = l;
			model.held[i].chain = malloc(sizeof(struct sim_chain));
			memcpy(model.held[i].chain, c, sizeof(*c));
			tag_add(tag);
			return;
		}
	}
	tag_add(tag);
	target_exec(t, l, cdb, data_out + 51, dout_len, din_cap, &r);
	tag_del(tag);
	respond(q, c, &r, din_cap);
}

static void release_held(unsigned i, uint8_t response)
{
	struct sim_held *hd = &model.held[i];
	struct result r;
	memset(&r, 0, sizeof(r));
	r.response = response;
	tag_del(hd->tag);
	struct sim_dev *was = notified;
	notified = hd->sim;
	respond(hd->q, hd->chain, &r, hd->chain->in_bytes - 108);
	notified = was;
	free(hd->chain);
	hd->chain = NULL;
	hd->used = false;
}

unsigned model_complete_held(uint8_t fill)
{
	unsigned n = 0;
	for (unsigned i = 0; i < MODEL_MAX_HELD; i++) {
		struct sim_held *hd = &model.held[i];
		if (!hd->used)
			continue;
		struct result r;
		memset(&r, 0, sizeof(r));
		uint32_t cap = hd->chain->in_bytes - 108;
		if (cap > sizeof(data_in))
			cap = sizeof(data_in);
		memset(data_in, fill, cap);
		r.din = cap;
		tag_del(hd->tag);
		struct sim_dev *was = notified;
		notified = hd->sim;
		respond(hd->q, hd->chain, &r, hd->chain->in_bytes - 108);
		notified = was;
		free(hd->chain);
		hd->chain = NULL;
		hd->used = false;
		n++;
	}
	return n;
}

void model_forget_held(void)
{
	for (unsigned i = 0; i < MODEL_MAX_HELD; i++) {
		free(model.held_ctl[i]);
		model.held_ctl[i] = NULL;
		if (!model.held[i].used)
			continue;
		tag_del(model.held[i].tag);
		free(model.held[i].chain);
		model.held[i].chain = NULL;
		model.held[i].used = false;
	}
}

static void do_control(struct sim_chain *c)
{
	uint8_t out[64], in[8];
	uint32_t n = sim_read_out(c, out, sizeof(out));
	uint32_t type = vs_le32(out);
	memset(in, 0, sizeof(in));
	if (type == VIRTIO_SCSI_T_TMF) {
		model.tmfs++;
		if (n != 24 || c->in_bytes != 1 || c->nseg != 2)
			model.tmf_bad_size++;
		uint32_t sub = vs_le32(out + 4);
		unsigned t = out[9], l = ((out[10] << 8) | out[11]) & 0x3fff;
		uint64_t tag = vs_le64(out + 16);
		model.last_tmf = sub;
		model.last_tmf_tag = tag;
		if (sub < 8)
			model.tmf_count[sub]++;
		if (model.n_tmf_order < sizeof(model.tmf_order))
			model.tmf_order[model.n_tmf_order++] = (uint8_t)sub;
		if (sub < 32 && (model.tmf_no_answer & (1u << sub))) {
			for (unsigned i = 0; i < MODEL_MAX_HELD; i++) {
				if (model.held_ctl[i])
					continue;
				model.held_ctl[i] = malloc(sizeof(*c));
				memcpy(model.held_ctl[i], c, sizeof(*c));
				model.tmfs_unanswered++;
				return;
			}
			fprintf(stderr, "scsi_target: more than %d unanswered TMFs\n", MODEL_MAX_HELD);
			abort();
		}
		in[0] = VSCSI_S_OK;
		if (!target_exists(t))
			in[0] = VSCSI_S_BAD_TARGET;
		else if (sub == VSCSI_TMF_ABORT_TASK) {
			for (unsigned i = 0; i < MODEL_MAX_HELD && !model.ignore_abort; i++)
				if (model.held[i].used && model.held[i].tag == tag)
					release_held(i, VSCSI_S_ABORTED);
		} else if (sub == VSCSI_TMF_LOGICAL_UNIT_RESET) {
			for (unsigned i = 0; i < MODEL_MAX_HELD && !model.ignore_lun_reset; i++)
				if (model.held[i].used && model.held[i].target == t && model.held[i].lun == l)
					release_held(i, VSCSI_S_RESET);
			struct sim_lun *L = model_find_lun(t, l);
			if (L) {
				L->ua = true;
				L->ua_asc = 0x29;
				L->ua_ascq = 0;
			} else
				in[0] = VSCSI_S_INCORRECT_LUN;
		} else if (sub == VSCSI_TMF_I_T_NEXUS_RESET) {
			/* SAM-5 §7.6: every task of the I_T nexus ends, on every LUN. */
			for (unsigned i = 0; i < MODEL_MAX_HELD && !model.ignore_nexus_reset; i++)
				if (model.held[i].used && model.held[i].target == t)
					release_held(i, VSCSI_S_RESET);
		} else if (sub == VSCSI_TMF_QUERY_TASK_SET) {
			for (unsigned i = 0; i < MODEL_MAX_HELD; i++)
				if (model.held[i].used)
					in[0] = VSCSI_S_FUNCTION_SUCCEEDED;
		} else if (sub == VSCSI_TMF_CLEAR_ACA) {
			in[0] = VSCSI_S_FUNCTION_REJECTED;
		}
		sim_write_in(c, in, 1);
		sim_complete(notified, 0, c->id, 1);
	} else {
		model.an_requests++;
		if (n != 16 || c->in_bytes != 5)
			model.tmf_bad_size++;
		in[4] = VSCSI_S_OK; /* event_actual 0, as QEMU */
		sim_write_in(c, in, 5);
		sim_complete(notified, 0, c->id, 5);
	}
}

/* The device was reset: it forgets what it held (commands, TMFs, posted
 * event buffers), as a real one does. */
static void model_on_reset(struct sim_dev *s, void *arg)
{
	(void)s;
	(void)arg;
	model_forget_held();
	model.n_outstanding = 0;
	model.nev = 0;
}

void model_on_notify(struct sim_dev *s, unsigned q, void *arg)
{
	(void)arg;
	struct sim_dev *was = notified;
	notified = s;
	for (;;) {
		int r = sim_fetch(s, q, &fetched);
		if (r <= 0)
			break;
		if (q == 0)
			do_control(&fetched);
		else if (q == 1) {
			if (fetched.out_bytes || fetched.in_bytes < 16 || fetched.nseg != 1)
				model.bad_headers++;
			if (model.nev < MODEL_MAX_EVBUF) {
				model.ev[model.nev].id = fetched.id;
				model.ev[model.nev].addr = fetched.seg[0].addr;
				model.ev[model.nev].len = fetched.seg[0].len;
				model.nev++;
			}
		} else
			do_request(q, &fetched);
	}
	notified = was;
}

/* Push one event into a posted buffer. */
bool model_fire_event(uint32_t event, unsigned t, unsigned l, uint32_t reason)
{
	if (!model.nev)
		return false;
	model.nev--;
	uint8_t *p = (uint8_t *)(uintptr_t)model.ev[model.nev].addr;
	struct virtio_scsi_event e;
	memset(&e, 0, sizeof(e));
	vs_put_le32(e.event, event);
	if (event != VIRTIO_SCSI_T_EVENTS_MISSED) {
		e.lun[0] = 1;
		e.lun[1] = (uint8_t)t;
		e.lun[2] = l < 256 ? 0 : (uint8_t)(0x40 | (l >> 8));
		e.lun[3] = (uint8_t)l;
	}
	vs_put_le32(e.reason, reason);
	memcpy(p, &e, sizeof(e));
	sim_complete(&model.sim, 1, model.ev[model.nev].id, sizeof(e));
	return true;
}

static void model_reset(void)
{
	for (unsigned i = 0; i < MODEL_MAX_LUNS; i++)
		free(model.lun[i].data);
	for (unsigned i = 0; i < MODEL_MAX_HELD; i++) {
		free(model.held[i].chain);
		free(model.held_ctl[i]);
	}
	memset(&model, 0, sizeof(model));
}

/* The device's line interrupt: the first (only) request attached. */
static void raise_line(struct sim_dev *s, unsigned q, void *arg)
{
	(void)s;
	(void)q;
	(void)arg;
	host_glue_irq_raise(0);
}

int bring_up(const struct bring_up_opts *fo)
{
	host_glue_init(&glue);
	unsigned nrq = fo && fo->nrq ? fo->nrq : 1;
	uint32_t num_queues = fo && fo->num_queues ? fo->num_queues : nrq;
	unsigned nvq = fo && fo->sim_queues ? fo->sim_queues : 2 + num_queues;
	model.nrq = nrq;
	sim_init(&model.sim, nvq, 64,
		 VIRTIO_BIT(VIRTIO_SCSI_F_HOTPLUG) | VIRTIO_BIT(VIRTIO_SCSI_F_CHANGE) |
			 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC),
		 false);
	cfg32(VS_CFG_OFF(num_queues), num_queues);
	cfg32(VS_CFG_OFF(seg_max), fo && fo->seg_max ? fo->seg_max : 62);
	cfg32(VS_CFG_OFF(max_sectors), fo && fo->max_sectors ? fo->max_sectors : 0xffff);
	cfg32(VS_CFG_OFF(cmd_per_lun), 128);
	cfg32(VS_CFG_OFF(event_info_size), 16);
	cfg32(VS_CFG_OFF(sense_size), fo && fo->sense_size ? fo->sense_size : 96);
	cfg32(VS_CFG_OFF(cdb_size), fo && fo->cdb_size ? fo->cdb_size : 32);
	cfg16(VS_CFG_OFF(max_channel), 0);
	cfg16(VS_CFG_OFF(max_target), fo ? fo->max_target : 7);
	cfg32(VS_CFG_OFF(max_lun), 16383);
	model.sim.on_notify = model_on_notify;
	model.sim.on_reset = model_on_reset;
	if (fo && fo->before_probe)
		fo->before_probe(&model.sim);
	bool irqs = fo && fo->interrupts;
	if (irqs) {
		host_glue_enable_irqs(&glue, true);
		model.sim.on_interrupt = raise_line;
	}
	struct virtio_open_opts vo = { .intr = irqs ? VIRTIO_INTR_AUTO : VIRTIO_INTR_POLL };
	struct virtio_device *dev;
	int r = sim_open(&model.sim, &glue, &vo, &dev);
	if (r)
		return r;
	struct vscsi_opts o;
	vscsi_opts_default(&o);
	o.intr = irqs ? VSCSI_INTR_AUTO : VSCSI_INTR_POLL;
	o.no_scan = fo && fo->no_scan;
	o.cmd_timeout_ms = fo && fo->cmd_timeout_ms ? fo->cmd_timeout_ms : 2000;
	o.recovery_step_ms = fo && fo->recovery_step_ms ? fo->recovery_step_ms : 200;
	o.max_request_queues = fo ? fo->max_request_queues : 0;
	return vs_probe_device(&glue, dev, &o, &ctrl);
}

void tear_down(void)
{
	if (ctrl)
		vscsi_remove(ctrl);
	ctrl = NULL;
	sim_destroy(&model.sim);
	model_reset();
}

