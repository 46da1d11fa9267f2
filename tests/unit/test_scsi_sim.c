/*
 * test_scsi_sim.c - the whole SCSI stack (controller bring-up, scan,
 * commands, block layer, TMF, events, SG_IO) against a small SCSI target
 * modelled on QEMU's behaviour (qemu-rig §1.4, §2), behind the simulated
 * virtio device of tests/unit/sim.
 *
 * The model checks what the device side would: header sizes (51/108,
 * TMF 24/1), unique tags among outstanding commands, data direction and
 * transfer length against the buffers, and unit attentions that every
 * LUN reports first after a reset (29/00), as QEMU does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blk/blk_internal.h"
#include "sim/virtio_sim.h"
#include "support/host_glue.h"

/* --- the target model -------------------------------------------------------- */

struct tlun {
	bool present;
	unsigned target, lun;
	uint8_t type;
	uint64_t blocks;
	uint32_t bs;
	uint8_t *data;
	bool removable, medium, wp;
	bool ua;
	uint8_t ua_asc, ua_ascq;
	const char *serial;
};

#define MAX_TLUNS 16
#define MAX_HELD 8
#define MAX_EVBUF 64

struct held {
	bool used;
	struct sim_dev *sim;
	unsigned q;
	uint64_t tag;
	unsigned target, lun;
	struct sim_chain *chain;
};

struct model {
	struct sim_dev sim;
	unsigned nrq;
	struct tlun lun[MAX_TLUNS];
	/* behaviour switches */
	bool hold_reads;          /* keep READs in flight (timeout tests) */
	unsigned busy_next;       /* answer virtio BUSY to the next n commands */
	bool no_report_luns;      /* REPORT LUNS -> ILLEGAL REQUEST */
	bool ignore_abort;        /* ABORT TASK answers but cancels nothing */
	bool ignore_lun_reset;    /* LOGICAL UNIT RESET answers but cancels nothing */
	unsigned tmf_count[8];
	/* observations */
	unsigned cmds, reads, writes, report_luns, bad_headers, dup_tags, overruns;
	uint32_t max_xfer;        /* largest data transfer of one command */
	unsigned max_cdb_opcode_seen;
	unsigned tmfs, last_tmf, tmf_bad_size;
	uint64_t last_tmf_tag;
	unsigned an_requests;
	uint64_t outstanding_tags[256];
	unsigned n_outstanding;
	struct held held[MAX_HELD];
	/* posted event buffers */
	struct {
		uint16_t id;
		uint64_t addr;
		uint32_t len;
	} ev[MAX_EVBUF];
	unsigned nev;
};

static struct model M;
static struct sim_dev *CUR; /* the device being notified (two-controller test) */
static struct vscsi_glue G;
static struct vscsi_ctrl *C;
static struct sim_chain CH;
static uint8_t OUT[1 << 21], IN[1 << 21];

static struct tlun *add_lun(unsigned t, unsigned l, uint8_t type, uint64_t blocks, uint32_t bs)
{
	for (unsigned i = 0; i < MAX_TLUNS; i++) {
		struct tlun *x = &M.lun[i];
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
	fail_msg("too many LUNs");
	return NULL;
}

static struct tlun *find_lun(unsigned t, unsigned l)
{
	for (unsigned i = 0; i < MAX_TLUNS; i++)
		if (M.lun[i].present && M.lun[i].target == t && M.lun[i].lun == l)
			return &M.lun[i];
	return NULL;
}

static bool target_exists(unsigned t)
{
	for (unsigned i = 0; i < MAX_TLUNS; i++)
		if (M.lun[i].present && M.lun[i].target == t)
			return true;
	return false;
}

static void cfg32(uint32_t off, uint32_t v) { vs_put_le32(M.sim.config + off, v); }
static void cfg16(uint32_t off, uint16_t v) { vs_put_le16(M.sim.config + off, v); }

struct result {
	uint8_t response, status;
	uint8_t sense[18];
	uint32_t sense_len;
	uint32_t din;            /* data-in bytes produced */
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
	memcpy(IN, src, k);
	return k;
}

static void scsi_inquiry(struct tlun *L, unsigned l, const uint8_t *cdb, uint32_t cap,
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
		vs_put_be32(d + 20, 1024);
		vs_put_be32(d + 24, 255);
		n = 64;
		break;
	case 0xb2:
		d[5] = 0xc0;
		n = 8;
		break;
	default:
		check_condition(r, 5, 0x24, 0);
		return;
	}
	vs_put_be16(d + 2, (uint16_t)(n - 4));
	r->din = put_data(d, n, alloc, cap);
}

static void scsi_report_luns(unsigned t, const uint8_t *cdb, uint32_t cap, struct result *r)
{
	M.report_luns++;
	uint32_t alloc = vs_be32(cdb + 6);
	if (M.no_report_luns) {
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
	for (unsigned i = 0; i < MAX_TLUNS; i++) {
		struct tlun *x = &M.lun[i];
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

static void scsi_rw(struct tlun *L, const uint8_t *cdb, const uint8_t *dout, uint32_t dout_len,
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
		M.overruns++;
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
	if (len > M.max_xfer)
		M.max_xfer = (uint32_t)len;
	if (write) {
		M.writes++;
		memcpy(L->data + lba * L->bs, dout, len);
	} else {
		M.reads++;
		memcpy(IN, L->data + lba * L->bs, len);
		r->din = (uint32_t)len;
	}
}

static void scsi_exec(unsigned t, unsigned l, const uint8_t *cdb, const uint8_t *dout,
		      uint32_t dout_len, uint32_t cap, struct result *r)
{
	struct tlun *L = find_lun(t, l);
	if (cdb[0] == SCSI_INQUIRY) {
		scsi_inquiry(L, l, cdb, cap, r);
		return;
	}
	if (cdb[0] == SCSI_REPORT_LUNS) {
		if (l != 0)
			check_condition(r, 5, 0x25, 0);
		else
			scsi_report_luns(t, cdb, cap, r);
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
		scsi_rw(L, cdb, dout, dout_len, cap, r);
		return;
	case SCSI_MODE_SENSE_6:
		d[0] = 3;
		d[2] = L->wp ? 0x80 : 0;
		r->din = put_data(d, 4, cdb[4], cap);
		return;
	case SCSI_SYNCHRONIZE_CACHE_10:
		return;
	case SCSI_UNMAP: {
		if (dout_len < 24) {
			check_condition(r, 5, 0x1a, 0);
			return;
		}
		uint64_t lba = vs_be64(dout + 8);
		uint32_t n = vs_be32(dout + 16);
		if (lba + n > L->blocks) {
			check_condition(r, 5, 0x21, 0);
			return;
		}
		memset(L->data + lba * L->bs, 0, (size_t)n * L->bs);
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
	for (unsigned i = 0; i < M.n_outstanding; i++)
		if (M.outstanding_tags[i] == tag)
			M.dup_tags++;
	if (M.n_outstanding < 256)
		M.outstanding_tags[M.n_outstanding++] = tag;
}

static void tag_del(uint64_t tag)
{
	for (unsigned i = 0; i < M.n_outstanding; i++)
		if (M.outstanding_tags[i] == tag) {
			M.outstanding_tags[i] = M.outstanding_tags[--M.n_outstanding];
			return;
		}
}

/* Write the response header (+ data-in) into the chain and complete it. */
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
		vs_put_le32(h->residual, din_cap - din);
	memcpy(buf + 108, IN, din);
	uint32_t len = sim_write_in(c, buf, 108 + din);
	sim_complete(CUR, q, c->id, len);
}

static void do_request(unsigned q, struct sim_chain *c)
{
	M.cmds++;
	uint32_t out = sim_read_out(c, OUT, c->out_bytes);
	if (out < 51 || c->in_bytes < 108) {
		M.bad_headers++;
		struct result r = { .response = VSCSI_S_FAILURE };
		respond(q, c, &r, 0);
		return;
	}
	const uint8_t *h = OUT, *cdb = OUT + 19;
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
	if (M.busy_next) {
		M.busy_next--;
		r.response = VSCSI_S_BUSY;
		respond(q, c, &r, din_cap);
		return;
	}
	if (M.hold_reads && (cdb[0] == SCSI_READ_10 || cdb[0] == SCSI_READ_16)) {
		for (unsigned i = 0; i < MAX_HELD; i++) {
			if (M.held[i].used)
				continue;
			M.held[i].used = true;
			M.held[i].sim = CUR;
			M.held[i].q = q;
			M.held[i].tag = tag;
			M.held[i].target = t;
			M.held[i].lun = l;
			M.held[i].chain = malloc(sizeof(struct sim_chain));
			memcpy(M.held[i].chain, c, sizeof(*c));
			tag_add(tag);
			return;
		}
	}
	tag_add(tag);
	scsi_exec(t, l, cdb, OUT + 51, dout_len, din_cap, &r);
	tag_del(tag);
	respond(q, c, &r, din_cap);
}

static void release_held(unsigned i, uint8_t response)
{
	struct held *hd = &M.held[i];
	struct result r;
	memset(&r, 0, sizeof(r));
	r.response = response;
	tag_del(hd->tag);
	struct sim_dev *was = CUR;
	CUR = hd->sim;
	respond(hd->q, hd->chain, &r, hd->chain->in_bytes - 108);
	CUR = was;
	free(hd->chain);
	hd->chain = NULL;
	hd->used = false;
}

static void do_control(struct sim_chain *c)
{
	uint8_t out[64], in[8];
	uint32_t n = sim_read_out(c, out, sizeof(out));
	uint32_t type = vs_le32(out);
	memset(in, 0, sizeof(in));
	if (type == VIRTIO_SCSI_T_TMF) {
		M.tmfs++;
		if (n != 24 || c->in_bytes != 1 || c->nseg != 2)
			M.tmf_bad_size++;
		uint32_t sub = vs_le32(out + 4);
		unsigned t = out[9], l = ((out[10] << 8) | out[11]) & 0x3fff;
		uint64_t tag = vs_le64(out + 16);
		M.last_tmf = sub;
		M.last_tmf_tag = tag;
		if (sub < 8)
			M.tmf_count[sub]++;
		in[0] = VSCSI_S_OK;
		if (!target_exists(t))
			in[0] = VSCSI_S_BAD_TARGET;
		else if (sub == VSCSI_TMF_ABORT_TASK) {
			for (unsigned i = 0; i < MAX_HELD && !M.ignore_abort; i++)
				if (M.held[i].used && M.held[i].tag == tag)
					release_held(i, VSCSI_S_ABORTED);
		} else if (sub == VSCSI_TMF_LOGICAL_UNIT_RESET) {
			for (unsigned i = 0; i < MAX_HELD && !M.ignore_lun_reset; i++)
				if (M.held[i].used && M.held[i].target == t && M.held[i].lun == l)
					release_held(i, VSCSI_S_RESET);
			struct tlun *L = find_lun(t, l);
			if (L) {
				L->ua = true;
				L->ua_asc = 0x29;
				L->ua_ascq = 0;
			} else
				in[0] = VSCSI_S_INCORRECT_LUN;
		} else if (sub == VSCSI_TMF_QUERY_TASK_SET) {
			for (unsigned i = 0; i < MAX_HELD; i++)
				if (M.held[i].used)
					in[0] = VSCSI_S_FUNCTION_SUCCEEDED;
		} else if (sub == VSCSI_TMF_CLEAR_ACA) {
			in[0] = VSCSI_S_FUNCTION_REJECTED;
		}
		sim_write_in(c, in, 1);
		sim_complete(CUR, 0, c->id, 1);
	} else {
		M.an_requests++;
		if (n != 16 || c->in_bytes != 5)
			M.tmf_bad_size++;
		in[4] = VSCSI_S_OK; /* event_actual 0, as QEMU */
		sim_write_in(c, in, 5);
		sim_complete(CUR, 0, c->id, 5);
	}
}

static void on_notify(struct sim_dev *s, unsigned q, void *arg)
{
	(void)arg;
	struct sim_dev *was = CUR;
	CUR = s;
	for (;;) {
		int r = sim_fetch(s, q, &CH);
		if (r <= 0)
			break;
		if (q == 0)
			do_control(&CH);
		else if (q == 1) {
			if (CH.out_bytes || CH.in_bytes < 16 || CH.nseg != 1)
				M.bad_headers++;
			if (M.nev < MAX_EVBUF) {
				M.ev[M.nev].id = CH.id;
				M.ev[M.nev].addr = CH.seg[0].addr;
				M.ev[M.nev].len = CH.seg[0].len;
				M.nev++;
			}
		} else
			do_request(q, &CH);
	}
	CUR = was;
}

/* Push one event into a posted buffer. */
static bool fire_event(uint32_t event, unsigned t, unsigned l, uint32_t reason)
{
	if (!M.nev)
		return false;
	M.nev--;
	uint8_t *p = (uint8_t *)(uintptr_t)M.ev[M.nev].addr;
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
	sim_complete(&M.sim, 1, M.ev[M.nev].id, sizeof(e));
	return true;
}

/* --- fixture -------------------------------------------------------------------- */

struct fx_opts {
	unsigned nrq;
	uint16_t max_target;
	uint32_t max_sectors, seg_max, cdb_size, sense_size;
	bool no_scan;
};

static void model_reset(void)
{
	for (unsigned i = 0; i < MAX_TLUNS; i++)
		free(M.lun[i].data);
	for (unsigned i = 0; i < MAX_HELD; i++)
		free(M.held[i].chain);
	memset(&M, 0, sizeof(M));
}

static int up(const struct fx_opts *fo)
{
	host_glue_init(&G);
	unsigned nrq = fo && fo->nrq ? fo->nrq : 1;
	M.nrq = nrq;
	sim_init(&M.sim, 2 + nrq, 64,
		 VIRTIO_BIT(VIRTIO_SCSI_F_HOTPLUG) | VIRTIO_BIT(VIRTIO_SCSI_F_CHANGE) |
			 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC),
		 false);
	cfg32(VS_CFG_OFF(num_queues), nrq);
	cfg32(VS_CFG_OFF(seg_max), fo && fo->seg_max ? fo->seg_max : 62);
	cfg32(VS_CFG_OFF(max_sectors), fo && fo->max_sectors ? fo->max_sectors : 0xffff);
	cfg32(VS_CFG_OFF(cmd_per_lun), 128);
	cfg32(VS_CFG_OFF(event_info_size), 16);
	cfg32(VS_CFG_OFF(sense_size), fo && fo->sense_size ? fo->sense_size : 96);
	cfg32(VS_CFG_OFF(cdb_size), fo && fo->cdb_size ? fo->cdb_size : 32);
	cfg16(VS_CFG_OFF(max_channel), 0);
	cfg16(VS_CFG_OFF(max_target), fo ? fo->max_target : 7);
	cfg32(VS_CFG_OFF(max_lun), 16383);
	M.sim.on_notify = on_notify;
	struct virtio_open_opts vo = { .intr = VIRTIO_INTR_POLL };
	struct virtio_device *dev;
	int r = sim_open(&M.sim, &G, &vo, &dev);
	if (r)
		return r;
	struct vscsi_opts o;
	vscsi_opts_default(&o);
	o.intr = VSCSI_INTR_POLL;
	o.no_scan = fo && fo->no_scan;
	o.cmd_timeout_ms = 2000;
	return vs_probe_device(&G, dev, &o, &C);
}

static void down(void)
{
	if (C)
		vscsi_remove(C);
	C = NULL;
	sim_destroy(&M.sim);
	model_reset();
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

/* --- tests ------------------------------------------------------------------- */

static void test_bring_up_and_scan(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 2048, 512);
	add_lun(1, 0, 0, 1024, 4096);
	struct tlun *cd = add_lun(2, 0, 5, 1000, 2048);
	cd->medium = false;
	add_lun(3, 5, 0, 100, 512);     /* LUN 0 missing: REPORT LUNS still lists it */
	add_lun(7, 300, 0, 100, 512);   /* flat LUN, last target (inclusive) */
	assert_int_equal(up(NULL), 0);

	assert_int_equal(M.sim.driver_errors, 0);
	assert_int_equal(M.bad_headers, 0);
	assert_int_equal(M.dup_tags, 0);
	assert_int_equal(M.sim.config_writes, 0); /* 32/96 already: nothing written */
	assert_int_equal(M.nev, 8);               /* 8 event buffers posted */
	assert_true(M.sim.status & VIRTIO_STATUS_DRIVER_OK);

	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(C, &ci);
	assert_int_equal(ci.request_queues, 1);
	assert_int_equal(ci.cdb_size, 32);
	assert_int_equal(ci.sense_size, 96);
	assert_int_equal(ci.max_target, 7);
	assert_true(ci.features & VIRTIO_BIT(VIRTIO_SCSI_F_HOTPLUG));

	const char *want[] = { "sda", "sdb", "sr0", "sdc", "sdd" };
	unsigned wt[] = { 0, 1, 2, 3, 7 }, wl[] = { 0, 0, 0, 5, 300 };
	unsigned n = 0;
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l), n++) {
		const struct vscsi_lun_info *i = vscsi_lun_info(l);
		assert_true(n < 5);
		assert_string_equal(i->name, want[n]);
		assert_int_equal(i->target, wt[n]);
		assert_int_equal(i->lun, wl[n]);
		assert_string_equal(i->vendor, "QEMU");
	}
	assert_int_equal(n, 5);

	const struct vscsi_lun_info *a = vscsi_lun_info(vscsi_lun_find("sda"));
	assert_int_equal(a->blocks, 2048);
	assert_int_equal(a->block_size, 512);
	assert_true(a->ready);
	assert_string_equal(a->serial, "SER0");
	assert_string_equal(a->wwn, "0x5000000000000000");
	assert_int_equal(a->max_transfer_bytes, 64 * 512); /* VPD B0 limit */
	assert_true(a->unmap_supported);
	assert_true(a->lbpme);
	const struct vscsi_lun_info *b = vscsi_lun_info(vscsi_lun_find("sdb"));
	assert_int_equal(b->block_size, 4096);
	const struct vscsi_lun_info *r = vscsi_lun_info(vscsi_lun_find("sr0"));
	assert_false(r->medium);
	assert_true(r->removable);
	assert_true(r->read_only);
	assert_null(vscsi_lun_find("sde"));
	assert_non_null(vscsi_lun_find("0:0:7:300"));
	assert_null(vscsi_lun_find("0:0:3:0"));

	/* The raw helpers. */
	uint8_t inq[96];
	uint32_t got;
	assert_int_equal(vscsi_inquiry(C, 0, 0, false, 0, inq, sizeof(inq), &got), 0);
	assert_int_equal(got, 36);
	uint64_t blocks;
	uint32_t bs;
	assert_int_equal(vscsi_read_capacity(C, 1, 0, &blocks, &bs), 0);
	assert_int_equal(blocks, 1024);
	assert_int_equal(bs, 4096);
	assert_int_equal(vscsi_read_capacity(C, 5, 0, &blocks, &bs), -VSCSI_ENXIO);
	down();
}

static void test_sizes_written_when_different(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .cdb_size = 16, .sense_size = 252, .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	/* The sim keeps what is written: both sizes now match ours. */
	assert_int_equal(M.sim.config_writes, 2);
	assert_int_equal(vs_le32(M.sim.config + VS_CFG_OFF(cdb_size)), 32);
	assert_int_equal(vs_le32(M.sim.config + VS_CFG_OFF(sense_size)), 96);
	assert_int_equal(M.bad_headers, 0);
	down();
}

static void test_blk_roundtrip_split(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 4096, 512);
	add_lun(0, 1, 0, 512, 4096);
	struct fx_opts fo = { .max_sectors = 16, .seg_max = 4, .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_non_null(d);
	struct vscsi_blk_info bi;
	assert_int_equal(vscsi_blk_get_info(d, &bi), 0);
	assert_int_equal(bi.max_transfer_bytes, 8192); /* max_sectors 16 */

	static uint8_t w[300 * 512], rd[300 * 512];
	fill(w, sizeof(w), 3);
	M.writes = M.reads = 0;
	assert_int_equal(vscsi_blk_write(d, 100, 300, w, VSCSI_BLK_FUA), 0);
	assert_true(M.writes >= 300 * 512 / 8192);
	assert_true(M.max_xfer <= 8192);
	memset(rd, 0, sizeof(rd));
	assert_int_equal(vscsi_blk_read(d, 100, 300, rd), 0);
	assert_memory_equal(w, rd, sizeof(w));
	assert_memory_equal(M.lun[0].data + 100 * 512, w, sizeof(w));

	/* A scatter list of odd pieces. */
	struct vscsi_sg sg[3] = { { rd, 100 }, { rd + 1000, 1948 }, { rd + 5000, 1024 } };
	memset(rd, 0, sizeof(rd));
	assert_int_equal(vscsi_blk_readv(d, 100, 6, sg, 3), 0);
	assert_memory_equal(rd, w, 100);
	assert_memory_equal(rd + 1000, w + 100, 1948);
	assert_memory_equal(rd + 5000, w + 2048, 1024);

	/* Refused before sending. */
	unsigned before = M.cmds;
	assert_int_equal(vscsi_blk_read(d, 4095, 2, rd), -VSCSI_ERANGE);
	assert_int_equal(vscsi_blk_read(d, 0, 0, rd), -VSCSI_EINVAL);
	struct vscsi_sg bad = { rd, 700 };
	assert_int_equal(vscsi_blk_readv(d, 0, 1, &bad, 1), -VSCSI_EINVAL);
	assert_int_equal(M.cmds, before);

	/* 4096-byte blocks. */
	struct vscsi_lun *e = vscsi_lun_find("sdb");
	assert_non_null(e);
	assert_int_equal(vscsi_blk_write(e, 10, 20, w, 0), 0);
	memset(rd, 0, sizeof(rd));
	assert_int_equal(vscsi_blk_read(e, 10, 20, rd), 0);
	assert_memory_equal(rd, w, 20 * 4096);

	/* flush, discard */
	assert_int_equal(vscsi_blk_flush(d), 0);
	assert_int_equal(vscsi_blk_discard(d, 100, 10), 0);
	uint8_t zero[5120];
	memset(zero, 0, sizeof(zero));
	assert_memory_equal(M.lun[0].data + 100 * 512, zero, sizeof(zero));

	assert_int_equal(M.sim.driver_errors, 0);
	assert_int_equal(M.overruns, 0);
	assert_int_equal(M.dup_tags, 0);
	down();
}

struct async_ctx {
	unsigned done;
	int result;
};

static void async_done(struct vscsi_blk_req *req)
{
	struct async_ctx *a = req->arg;
	a->done++;
	a->result = req->result;
}

static void test_blk_async_many(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 8192, 512);
	struct fx_opts fo = { .nrq = 2, .max_sectors = 8, .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	static uint8_t w[64][4096];
	static struct vscsi_blk_req req[64];
	static struct vscsi_sg sg[64];
	struct async_ctx a = { 0, 0 };
	for (unsigned i = 0; i < 64; i++) {
		fill(w[i], 4096, i);
		sg[i] = (struct vscsi_sg){ w[i], 4096 };
		memset(&req[i], 0, sizeof(req[i]));
		req[i].op = VSCSI_BLK_WRITE;
		req[i].lba = i * 8;
		req[i].blocks = 8;
		req[i].sg = &sg[i];
		req[i].sg_count = 1;
		req[i].done = async_done;
		req[i].arg = &a;
		req[i].flags = VSCSI_BLK_NO_KICK;
		assert_int_equal(vscsi_blk_submit(d, &req[i]), 0);
	}
	vscsi_blk_kick(d);
	for (int spin = 0; spin < 100000 && a.done < 64; spin++)
		vscsi_blk_poll();
	assert_int_equal(a.done, 64);
	assert_int_equal(a.result, 0);
	for (unsigned i = 0; i < 64; i++)
		assert_memory_equal(M.lun[0].data + i * 4096, w[i], 4096);
	assert_int_equal(M.dup_tags, 0);
	assert_int_equal(M.sim.driver_errors, 0);
	down();
}

static void test_busy_retried(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	uint8_t b[512];
	M.busy_next = 3;
	assert_int_equal(vscsi_blk_read(d, 0, 1, b), 0);
	assert_int_equal(M.busy_next, 0);
	uint8_t cdb[16];
	unsigned n = scsi_cdb_test_unit_ready(cdb);
	M.busy_next = 2;
	assert_int_equal(vscsi_exec_simple(C, 0, 0, cdb, n, VSCSI_DATA_NONE, NULL, 0, NULL, 0, NULL,
					   0),
			 0);
	M.busy_next = 2;
	assert_int_equal(vscsi_exec_simple(C, 0, 0, cdb, n, VSCSI_DATA_NONE, NULL, 0, NULL, 0, NULL,
					   VSCSI_EXEC_NO_RETRY),
			 -VSCSI_EBUSY);
	M.busy_next = 0;
	down();
}

static void test_write_protect_and_errors(void **state)
{
	(void)state;
	struct tlun *L = add_lun(0, 0, 0, 64, 512);
	L->wp = true;
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_true(vscsi_lun_info(d)->read_only);
	uint8_t b[512] = { 0 };
	unsigned before = M.writes;
	assert_int_equal(vscsi_blk_write(d, 0, 1, b, 0), -VSCSI_EROFS);
	assert_int_equal(M.writes, before);
	/* The device changes its mind: the refusal (07/27/00) is EROFS too. */
	L->wp = false;
	vscsi_lun_revalidate(d);
	assert_false(vscsi_lun_info(d)->read_only);
	L->wp = true;
	assert_int_equal(vscsi_blk_write(d, 0, 1, b, 0), -VSCSI_EROFS);
	/* Overrun: a CDB asking for more than the buffer. */
	uint8_t cdb[16], sense[32];
	unsigned n = scsi_cdb_read10(cdb, 0, 2, false);
	assert_int_equal(vscsi_exec_simple(C, 0, 0, cdb, n, VSCSI_DATA_FROM_DEVICE, b, 512, sense,
					   sizeof(sense), NULL, VSCSI_EXEC_QUIET),
			 -VSCSI_EOVERFLOW);
	/* Out of range seen by the device: 05/21/00. */
	n = scsi_cdb_read10(cdb, 64, 1, false);
	struct vscsi_cmd cmd;
	struct vscsi_sg sg = { b, 512 };
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_FROM_DEVICE;
	cmd.sg = &sg;
	cmd.sg_count = 1;
	cmd.sense = sense;
	cmd.sense_cap = sizeof(sense);
	assert_int_equal(vscsi_lun_exec(d, &cmd, VSCSI_EXEC_QUIET), -VSCSI_EIO);
	assert_int_equal(cmd.status, SCSI_STATUS_CHECK_CONDITION);
	struct scsi_sense s;
	assert_int_equal(scsi_sense_decode(sense, cmd.sense_len, &s), 0);
	assert_int_equal(s.key, 5);
	assert_int_equal(s.asc, 0x21);
	/* Bad arguments never reach the device. */
	before = M.cmds;
	cmd.cdb_len = 33;
	assert_int_equal(vscsi_lun_submit(d, &cmd, 0), -VSCSI_EINVAL);
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_NONE;
	assert_int_equal(vscsi_lun_submit(d, &cmd, 0), -VSCSI_EINVAL);
	assert_int_equal(vscsi_submit(C, 256, 0, &cmd, 0), -VSCSI_EINVAL);
	assert_int_equal(M.cmds, before);
	down();
}

static void test_report_luns_refused_sequential(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	add_lun(0, 3, 0, 64, 512);
	add_lun(0, 9, 0, 64, 512); /* beyond the sequential bound (8) */
	M.no_report_luns = true;
	struct fx_opts fo = { .max_target = 1 };
	assert_int_equal(up(&fo), 0);
	assert_non_null(vscsi_lun_find("0:0:0:0"));
	assert_non_null(vscsi_lun_find("0:0:0:3"));
	assert_null(vscsi_lun_find("0:0:0:9"));
	down();
}

static void test_tmf(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	uint8_t resp = 0xee;
	assert_int_equal(vscsi_tmf(C, 0, 0, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_FUNCTION_COMPLETE);
	assert_int_equal(M.last_tmf, VSCSI_TMF_LOGICAL_UNIT_RESET);
	assert_int_equal(vscsi_tmf(C, 0, 0, VSCSI_TMF_CLEAR_ACA, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_FUNCTION_REJECTED);
	assert_int_equal(vscsi_tmf(C, 0, 4, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_INCORRECT_LUN);
	assert_int_equal(vscsi_tmf(C, 5, 0, VSCSI_TMF_I_T_NEXUS_RESET, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_BAD_TARGET);
	assert_int_equal(vscsi_tmf(C, 0, 0, VSCSI_TMF_QUERY_TASK_SET, 0, 1000, &resp), 0);
	assert_int_equal(resp, VSCSI_S_OK);
	uint32_t actual = 99;
	assert_int_equal(vscsi_an_query(C, 0, 0, VSCSI_AN_MEDIA_CHANGE, &actual, &resp), 0);
	assert_int_equal(actual, 0);
	assert_int_equal(M.an_requests, 1);
	assert_int_equal(M.tmf_bad_size, 0);
	/* After the LUN reset the device reports 29/00 once: I/O still works. */
	uint8_t b[512];
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b), 0);
	down();
}

static void test_timeout_ladder(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	M.hold_reads = true;
	uint8_t cdb[16], b[512];
	unsigned n = scsi_cdb_read10(cdb, 0, 1, false);
	struct vscsi_cmd cmd;
	struct vscsi_sg sg = { b, 512 };
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_FROM_DEVICE;
	cmd.sg = &sg;
	cmd.sg_count = 1;
	cmd.timeout_ms = 50;
	host_glue_log_reset();
	assert_int_equal(vscsi_exec(C, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	/* ABORT TASK with the command's own tag finished it. */
	assert_int_equal(M.last_tmf, VSCSI_TMF_ABORT_TASK);
	assert_true(M.last_tmf_tag == cmd.tag);
	assert_true(host_glue_log_contains("timed out"));
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(C, &ci);
	assert_int_equal(ci.timeouts, 1);
	assert_int_equal(ci.device_resets, 0);
	/* The slot is free again and tags are never reused. */
	M.hold_reads = false;
	uint64_t old = cmd.tag;
	assert_int_equal(vscsi_exec(C, 0, 0, &cmd, VSCSI_EXEC_QUIET), 0);
	assert_true(cmd.tag != old);
	assert_int_equal(M.dup_tags, 0);
	down();
}

/* Abort does nothing: LUN reset; that does nothing either: device reset.
 * Each step waits its grace period (2 s), so this test takes ~4 s. */
static void test_timeout_escalation(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	uint8_t cdb[16], b[512];
	unsigned n = scsi_cdb_read10(cdb, 0, 1, false);
	struct vscsi_cmd cmd;
	struct vscsi_sg sg = { b, 512 };
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_FROM_DEVICE;
	cmd.sg = &sg;
	cmd.sg_count = 1;
	cmd.timeout_ms = 20;

	/* 1. ABORT TASK ignored, LUN reset cancels it (response RESET). */
	M.hold_reads = true;
	M.ignore_abort = true;
	assert_int_equal(vscsi_exec(C, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	assert_int_equal(M.tmf_count[VSCSI_TMF_ABORT_TASK], 1);
	assert_int_equal(M.tmf_count[VSCSI_TMF_LOGICAL_UNIT_RESET], 1);
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(C, &ci);
	assert_int_equal(ci.device_resets, 0);

	/* 2. Both ignored: the device reset reclaims the buffers. */
	M.ignore_lun_reset = true;
	assert_int_equal(vscsi_exec(C, 0, 0, &cmd, VSCSI_EXEC_QUIET), -VSCSI_ETIMEDOUT);
	assert_int_equal(M.tmf_count[VSCSI_TMF_LOGICAL_UNIT_RESET], 2);
	vscsi_ctrl_get_info(C, &ci);
	assert_int_equal(ci.device_resets, 1);
	assert_int_equal(ci.timeouts, 2);
	/* The device forgot the command across the reset; all works again. */
	for (unsigned i = 0; i < MAX_HELD; i++)
		if (M.held[i].used) {
			free(M.held[i].chain);
			M.held[i].chain = NULL;
			M.held[i].used = false;
		}
	M.n_outstanding = 0;
	M.hold_reads = false;
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b), 0);
	assert_int_equal(M.sim.driver_errors, 0);
	assert_int_equal(M.dup_tags, 0);
	down();
}

static void test_device_reset_reclaims(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	M.hold_reads = true;
	uint8_t cdb[16], b[512];
	unsigned n = scsi_cdb_read10(cdb, 0, 1, false);
	struct vscsi_cmd cmd;
	struct vscsi_sg sg = { b, 512 };
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)n;
	cmd.dir = VSCSI_DATA_FROM_DEVICE;
	cmd.sg = &sg;
	cmd.sg_count = 1;
	cmd.queue = VSCSI_QUEUE_ANY;
	assert_int_equal(vscsi_submit(C, 0, 0, &cmd, 0), 0);
	vscsi_poll(C);
	assert_false(vs_cmd_is_done(&cmd));
	/* The model forgets the held command, as a device does across reset. */
	for (unsigned i = 0; i < MAX_HELD; i++)
		if (M.held[i].used) {
			free(M.held[i].chain);
			M.held[i].chain = NULL;
			M.held[i].used = false;
		}
	M.n_outstanding = 0;
	M.nev = 0;
	assert_int_equal(vscsi_ctrl_reset(C), 0);
	assert_true(vs_cmd_is_done(&cmd));
	assert_int_equal(cmd.result, -VSCSI_ECONNRESET);
	assert_int_equal(M.nev, 8); /* event buffers posted again */
	M.hold_reads = false;
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b), 0);
	assert_int_equal(M.sim.driver_errors, 0);
	down();
}

static unsigned changes[4];
static void on_change(struct vscsi_lun *l, enum vscsi_change what, void *arg)
{
	(void)l;
	(void)arg;
	changes[what]++;
}

static void test_events_hotplug(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .max_target = 3 };
	memset(changes, 0, sizeof(changes));
	vscsi_set_change_callback(on_change, NULL);
	assert_int_equal(up(&fo), 0);
	assert_int_equal(changes[VSCSI_CHANGE_ADDED], 1);

	/* Hot-plug 1:0 (RESCAN of LUN 0: the whole target). */
	add_lun(1, 0, 0, 128, 512);
	assert_true(fire_event(VIRTIO_SCSI_T_TRANSPORT_RESET, 1, 0, VIRTIO_SCSI_EVT_RESET_RESCAN));
	vscsi_poll(C);
	assert_non_null(vscsi_lun_find("sdb"));
	assert_int_equal(M.nev, 8); /* re-posted */
	/* Hot-plug 1:2 (a single LUN). */
	add_lun(1, 2, 0, 16, 512);
	assert_true(fire_event(VIRTIO_SCSI_T_TRANSPORT_RESET, 1, 2, VIRTIO_SCSI_EVT_RESET_RESCAN));
	vscsi_poll(C);
	assert_non_null(vscsi_lun_find("0:0:1:2"));
	/* Capacity change. */
	struct tlun *L = find_lun(0, 0);
	L->blocks = 32;
	L->ua = true;
	L->ua_asc = 0x2a;
	L->ua_ascq = 0x09;
	assert_true(fire_event(VIRTIO_SCSI_T_PARAM_CHANGE, 0, 0, 0x092a));
	vscsi_poll(C);
	assert_int_equal(vscsi_lun_info(vscsi_lun_find("sda"))->blocks, 32);
	assert_int_equal(changes[VSCSI_CHANGE_RESIZED], 1);
	/* Unplug 1:2. */
	find_lun(1, 2)->present = false;
	struct vscsi_lun *gone = vscsi_lun_find("0:0:1:2");
	assert_true(fire_event(VIRTIO_SCSI_T_TRANSPORT_RESET, 1, 2, VIRTIO_SCSI_EVT_RESET_REMOVED));
	vscsi_poll(C);
	assert_null(vscsi_lun_find("0:0:1:2"));
	assert_true(vscsi_lun_info(gone)->gone); /* the pointer stays valid */
	uint8_t b[512];
	assert_int_equal(vscsi_blk_read(gone, 0, 1, b), -VSCSI_ENODEV);
	/* Events missed: full rescan finds a silent plug and a silent unplug. */
	add_lun(2, 0, 0, 16, 512);
	find_lun(1, 0)->present = false;
	assert_true(fire_event(VIRTIO_SCSI_T_EVENTS_MISSED, 0, 0, 0));
	vscsi_poll(C);
	assert_non_null(vscsi_lun_find("0:0:2:0"));
	assert_null(vscsi_lun_find("0:0:1:0"));
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(C, &ci);
	assert_int_equal(ci.events, 5);
	assert_int_equal(ci.events_missed, 1);
	struct vscsi_event hist[8];
	assert_int_equal(vscsi_event_history(C, hist, 8), 5);
	assert_true(hist[4].missed);
	assert_int_equal(hist[0].target, 1);
	vscsi_set_change_callback(NULL, NULL);
	down();
}

static void test_cdrom(void **state)
{
	(void)state;
	struct tlun *cd = add_lun(0, 0, 5, 100, 2048);
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	struct vscsi_lun *sr = vscsi_lun_find("sr0");
	assert_non_null(sr);
	struct vscsi_blk_info bi;
	assert_int_equal(vscsi_blk_get_info(sr, &bi), 0);
	assert_true(bi.cdrom);
	assert_true(bi.medium);
	assert_int_equal(bi.block_size, 2048);
	uint8_t b[2048];
	memcpy(cd->data, "CD001", 5);
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), 0);
	assert_memory_equal(b, "CD001", 5);
	assert_int_equal(vscsi_blk_write(sr, 0, 1, b, 0), -VSCSI_EROFS);
	/* Tray opened by the host: 06/3A/00 then 02/3A/00. */
	cd->medium = false;
	cd->ua = true;
	cd->ua_asc = 0x3a;
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), -VSCSI_ENOMEDIUM);
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), -VSCSI_ENOMEDIUM);
	assert_false(vscsi_lun_info(sr)->medium);
	/* New medium: 06/28/00, capacity refreshed. */
	cd->medium = true;
	cd->blocks = 50;
	cd->ua = true;
	cd->ua_asc = 0x28;
	assert_int_equal(vscsi_blk_check_medium(sr), 0);
	assert_int_equal(vscsi_lun_info(sr)->blocks, 50);
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), 0);
	/* Eject through the driver. */
	assert_int_equal(vscsi_blk_eject(sr), 0);
	assert_false(cd->medium);
	assert_false(vscsi_lun_info(sr)->medium);
	assert_int_equal(vscsi_blk_read(sr, 0, 1, b), -VSCSI_ENOMEDIUM);
	assert_int_equal(vscsi_blk_load(sr), 0);
	assert_true(vscsi_lun_info(sr)->medium);
	down();
}

static void test_sg_io(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	uint8_t cdb[16], data[512], sense[32];
	struct sg_io_hdr h;
	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	h.cmd_len = (unsigned char)scsi_cdb_inquiry(cdb, false, 0, 96);
	h.cmdp = cdb;
	h.dxferp = data;
	h.dxfer_len = 96;
	h.sbp = sense;
	h.mx_sb_len = sizeof(sense);
	h.pack_id = 77;
	assert_int_equal(vscsi_sg_io(d, &h, false), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(h.info, SG_INFO_OK);
	assert_int_equal(h.resid, 96 - 36);
	assert_int_equal(h.pack_id, 77);
	assert_memory_equal(data + 8, "QEMU", 4);

	/* CHECK CONDITION comes back in the header, call returns 0. */
	h.cmd_len = (unsigned char)scsi_cdb_read10(cdb, 1000, 1, false);
	h.dxfer_len = 512;
	assert_int_equal(vscsi_sg_io(d, &h, false), 0);
	assert_int_equal(h.status, SCSI_STATUS_CHECK_CONDITION);
	assert_int_equal(h.masked_status, 1);
	assert_int_equal(h.driver_status, VSCSI_DRIVER_SENSE);
	assert_int_equal(h.sb_len_wr, 18);
	assert_int_equal(sense[12], 0x21);
	assert_int_equal(h.info, SG_INFO_CHECK);

	/* The filter: WRITE only when opened for writing. */
	unsigned before = M.cmds;
	host_glue_log_reset();
	h.dxfer_direction = SG_DXFER_TO_DEV;
	h.cmd_len = (unsigned char)scsi_cdb_write10(cdb, 0, 1, false);
	assert_int_equal(vscsi_sg_io(d, &h, false), -VSCSI_EPERM);
	assert_true(host_glue_log_contains("0x2a"));
	assert_int_equal(M.cmds, before);
	assert_int_equal(vscsi_sg_io(d, &h, true), 0);
	assert_int_equal(h.status, 0);
	/* PERSISTENT RESERVE OUT needs the administrator. */
	h.cmd_len = (unsigned char)scsi_cdb_pr_out(cdb, 1, 0, 24);
	h.dxfer_len = 24;
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_EPERM);
	assert_int_equal(vscsi_sg_filter_add(d, 0x5f, 0x01, true), 0);
	assert_int_equal(vscsi_sg_io(d, &h, true), 0); /* reaches the device: 05/20/00 */
	assert_int_equal(h.status, SCSI_STATUS_CHECK_CONDITION);
	assert_int_equal(sense[12], 0x20);
	/* Header validation. */
	h.interface_id = 'Z';
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_EINVAL);
	h.interface_id = 'S';
	h.cmd_len = 33;
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_EINVAL);
	h.cmd_len = 10;
	h.dxfer_direction = -7;
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_EINVAL);
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	h.dxfer_len = 1u << 30;
	assert_int_equal(vscsi_sg_io(d, &h, true), -VSCSI_E2BIG);
	down();
}

static void test_remove_frees_everything(void **state)
{
	(void)state;
	long live = host_glue_live_allocs();
	add_lun(0, 0, 0, 64, 512);
	struct fx_opts fo = { .max_target = 0 };
	assert_int_equal(up(&fo), 0);
	uint8_t b[512];
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_int_equal(vscsi_blk_read(d, 0, 1, b), 0);
	assert_int_equal(vscsi_sg_set_policy(d, VSCSI_SG_UNFILTERED), 0);
	down();
	assert_int_equal(host_glue_live_allocs(), live);
	assert_null(vscsi_ctrl_next(NULL));
}

static void test_two_controllers(void **state)
{
	(void)state;
	add_lun(0, 0, 0, 64, 512);
	add_lun(1, 0, 5, 10, 2048);
	struct fx_opts fo = { .max_target = 1 };
	assert_int_equal(up(&fo), 0);
	/* A second device with the same targets behind it. */
	static struct sim_dev s2;
	sim_init(&s2, 3, 64, VIRTIO_BIT(VIRTIO_SCSI_F_HOTPLUG), false);
	memcpy(s2.config, M.sim.config, sizeof(s2.config));
	s2.on_notify = on_notify;
	struct virtio_open_opts vo = { .intr = VIRTIO_INTR_POLL };
	struct virtio_device *dev;
	assert_int_equal(sim_open(&s2, &G, &vo, &dev), 0);
	struct vscsi_opts o;
	vscsi_opts_default(&o);
	o.intr = VSCSI_INTR_POLL;
	struct vscsi_ctrl *c2;
	for (unsigned i = 0; i < MAX_TLUNS; i++) /* fresh power-on UA for the second one */
		if (M.lun[i].present)
			M.lun[i].ua = true;
	assert_int_equal(vs_probe_device(&G, dev, &o, &c2), 0);
	assert_ptr_equal(vscsi_ctrl_by_host(1), c2);
	assert_ptr_equal(vscsi_ctrl_next(C), c2);
	/* Names continue across controllers, in probe order. */
	const struct vscsi_lun_info *a = vscsi_lun_info(vscsi_lun_find("sdb"));
	assert_non_null(a);
	assert_int_equal(a->host, 1);
	assert_int_equal(vscsi_lun_info(vscsi_lun_find("sr1"))->host, 1);
	assert_int_equal(vscsi_lun_info(vscsi_lun_find("sda"))->host, 0);
	assert_non_null(vscsi_lun_find("1:0:1:0"));
	unsigned n = 0;
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l))
		n++;
	assert_int_equal(n, 4);
	uint8_t b[512];
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sdb"), 0, 1, b), 0);
	/* Removing the first frees its names; the second keeps its own. */
	vscsi_remove(C);
	C = NULL;
	assert_null(vscsi_lun_find("sda"));
	assert_non_null(vscsi_lun_find("sdb"));
	assert_ptr_equal(vscsi_ctrl_next(NULL), c2);
	assert_int_equal(vscsi_rescan_all(), 2);
	vscsi_remove(c2);
	sim_destroy(&s2);
	assert_int_equal(M.sim.driver_errors + s2.driver_errors, 0);
	down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bring_up_and_scan),
		cmocka_unit_test(test_sizes_written_when_different),
		cmocka_unit_test(test_blk_roundtrip_split),
		cmocka_unit_test(test_blk_async_many),
		cmocka_unit_test(test_busy_retried),
		cmocka_unit_test(test_write_protect_and_errors),
		cmocka_unit_test(test_report_luns_refused_sequential),
		cmocka_unit_test(test_tmf),
		cmocka_unit_test(test_timeout_ladder),
		cmocka_unit_test(test_timeout_escalation),
		cmocka_unit_test(test_device_reset_reclaims),
		cmocka_unit_test(test_events_hotplug),
		cmocka_unit_test(test_cdrom),
		cmocka_unit_test(test_sg_io),
		cmocka_unit_test(test_remove_frees_everything),
		cmocka_unit_test(test_two_controllers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
