/*
 * cdrom.c - removable media: medium checks, tray lock, eject and load
 * (MMC-6 / SBC-3 START STOP UNIT with LOEJ, PREVENT ALLOW MEDIUM REMOVAL),
 * and the poll that notices medium changes nobody reports.
 * QEMU refuses to open a locked tray (05/53/02), so eject unlocks first.
 */
#include "blk/internal.h"

/* How often each removable device is asked (Linux's cdrom layer polls
 * every 2 s; lsblk should be right within about a second), and how often
 * the list of devices is walked at most. */
#define MEDIA_POLL_NS 1000000000ull
#define MEDIA_SCAN_NS 100000000ull
#define MEDIA_POLL_TIMEOUT_MS 10000

static int exec_simple(struct vscsi_lun *dev, const uint8_t *cdb, unsigned len)
{
	struct vscsi_cmd cmd;
	vs_memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)len;
	cmd.dir = VSCSI_DATA_NONE;
	cmd.queue = VSCSI_QUEUE_ANY;
	return vscsi_lun_exec(dev, &cmd, VSCSI_EXEC_RETRY_UA);
}

static int check_removable(struct vscsi_lun *dev)
{
	if (!dev)
		return -VSCSI_EINVAL;
	if (vscsi_lun_info(dev)->gone)
		return -VSCSI_ENODEV;
	if (!vscsi_blk_is_block(dev))
		return -VSCSI_EOPNOTSUPP;
	return 0;
}

int vscsi_blk_check_medium(struct vscsi_lun *dev)
{
	int r = check_removable(dev);
	if (r < 0)
		return r;
	struct vs_blk_dev *st = vs_blk_state(dev);
	if (st)
		st->needs_revalidate = false;
	r = vscsi_lun_revalidate(dev);
	if (!vscsi_lun_info(dev)->medium)
		return -VSCSI_ENOMEDIUM;
	return r;
}

int vscsi_blk_lock_medium(struct vscsi_lun *dev, bool lock)
{
	int r = check_removable(dev);
	if (r < 0)
		return r;
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned n = scsi_cdb_prevent_allow(cdb, lock);
	return exec_simple(dev, cdb, n);
}

int vscsi_blk_eject(struct vscsi_lun *dev)
{
	int r = check_removable(dev);
	if (r < 0)
		return r;
	if (!vscsi_lun_info(dev)->removable)
		return -VSCSI_EOPNOTSUPP;
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned n = scsi_cdb_prevent_allow(cdb, false);
	r = exec_simple(dev, cdb, n);
	if (r < 0)
		return r;
	n = scsi_cdb_start_stop_unit(cdb, false, true, false); /* LOEJ, START=0: open */
	r = exec_simple(dev, cdb, n);
	if (r == 0)
		vscsi_lun_revalidate(dev); /* now without medium */
	return r;
}

int vscsi_blk_load(struct vscsi_lun *dev)
{
	int r = check_removable(dev);
	if (r < 0)
		return r;
	if (!vscsi_lun_info(dev)->removable)
		return -VSCSI_EOPNOTSUPP;
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned n = scsi_cdb_start_stop_unit(cdb, false, true, true); /* LOEJ, START=1: close */
	r = exec_simple(dev, cdb, n);
	if (r == 0)
		vscsi_lun_revalidate(dev);
	return r;
}

/* --- the medium poll ------------------------------------------------------- */

static bool is_mmc(const struct vscsi_lun_info *i)
{
	return i->type == SCSI_TYPE_CDROM || i->type == SCSI_TYPE_WORM;
}

/* The completion, maybe in interrupt context: only flags; the idle path
 * reads the answer.  `answered` is set before `inflight` is cleared, so
 * whoever sees the command back also sees its answer. */
static void media_done(struct vscsi_cmd *cmd)
{
	struct vs_media_poll *m = cmd->arg;
	__atomic_store_n(&m->answered, true, __ATOMIC_RELEASE);
	__atomic_store_n(&m->inflight, false, __ATOMIC_RELEASE);
}

/* GET EVENT STATUS NOTIFICATION, polled, media class (MMC-6 §6.6): a
 * pending unit attention neither blocks it nor is cleared by it (QEMU 7.2
 * behaves so), so the poll takes nothing from the I/O path.  Devices
 * without it (removable disks: SBC has no such command) get TEST UNIT
 * READY, as Linux's sd polls them. */
static void media_submit(struct vscsi_lun *dev, struct vs_media_poll *m)
{
	vs_memset(&m->cmd, 0, sizeof(m->cmd));
	vs_memset(m->data, 0, sizeof(m->data));
	unsigned n;
	if (m->use_tur) {
		n = scsi_cdb_test_unit_ready(m->cdb);
		m->cmd.dir = VSCSI_DATA_NONE;
	} else {
		n = scsi_cdb_get_event_status(m->cdb, 1u << 4 /* media class */,
					      sizeof(m->data));
		m->sg.addr = m->data;
		m->sg.len = sizeof(m->data);
		m->cmd.dir = VSCSI_DATA_FROM_DEVICE;
		m->cmd.sg = &m->sg;
		m->cmd.sg_count = 1;
	}
	m->cmd.cdb = m->cdb;
	m->cmd.cdb_len = (uint8_t)n;
	m->cmd.sense = m->sense;
	m->cmd.sense_cap = sizeof(m->sense);
	m->cmd.queue = VSCSI_QUEUE_ANY;
	m->cmd.timeout_ms = MEDIA_POLL_TIMEOUT_MS;
	m->cmd.done = media_done;
	m->cmd.arg = m;
	__atomic_store_n(&m->answered, false, __ATOMIC_RELAXED);
	__atomic_store_n(&m->inflight, true, __ATOMIC_RELEASE);
	if (vscsi_lun_submit(dev, &m->cmd, 0) < 0)
		__atomic_store_n(&m->inflight, false, __ATOMIC_RELEASE); /* next second */
}

/* Whether the answer says the medium is not what vscsi_lun_info says. */
static bool media_changed(struct vscsi_lun *dev, struct vs_media_poll *m)
{
	const struct vscsi_lun_info *i = vscsi_lun_info(dev);
	const struct vscsi_cmd *c = &m->cmd;
	struct scsi_sense s;
	bool sense = c->response == VSCSI_S_OK && c->status == SCSI_STATUS_CHECK_CONDITION &&
		     scsi_sense_decode(c->sense, c->sense_len, &s) == 0 && s.valid;
	if (m->use_tur) {
		if (c->result == 0)
			return !i->medium;
		if (sense && s.key == SCSI_SK_UNIT_ATTENTION)
			return true; /* 28h medium may have changed, 3Ah, 29h reset ... */
		if (sense && s.key == SCSI_SK_NOT_READY && s.asc == 0x3a)
			return i->medium;
		return false;
	}
	if (c->result == 0) {
		uint32_t got = c->resid < c->data_len ? c->data_len - c->resid : 0;
		struct vs_media_event ev;
		int r = vs_parse_media_event(m->data, got, &ev);
		if (r == 0)
			return ev.event == VS_MEDIA_EVENT_NEW_MEDIA ||
			       ev.event == VS_MEDIA_EVENT_REMOVAL ||
			       ev.event == VS_MEDIA_EVENT_CHANGED || ev.present != i->medium;
		if (r == -VSCSI_ENOENT)
			return false;
		/* Data that is not a media event: ask as the disks are asked. */
		m->use_tur = true;
		return false;
	}
	if (sense && s.key == SCSI_SK_ILLEGAL_REQUEST)
		m->use_tur = true; /* no GET EVENT STATUS NOTIFICATION here */
	/* A device that lets a unit attention stop this command has just
	 * given it to us: whatever it announced, look again. */
	return sense && s.key == SCSI_SK_UNIT_ATTENTION;
}

static void media_reread(struct vscsi_lun *dev, struct vs_blk_dev *st)
{
	const struct vscsi_lun_info *i = vscsi_lun_info(dev);
	bool had = i->medium;
	st->needs_revalidate = false;
	vscsi_lun_revalidate(dev); /* tells the change callback */
	if (had == i->medium)
		return; /* a new medium of another size is logged as a resize */
	const struct vscsi_glue *g = vs_ctrl_glue(vscsi_lun_ctrl(dev));
	if (i->medium)
		vs_log(g, VS_LOG_INFO, "vscsi %u:0:%u:%u: %s: new medium, %llu x %u bytes",
		       i->host, i->target, i->lun, i->name, (unsigned long long)i->blocks,
		       i->block_size);
	else
		vs_log(g, VS_LOG_INFO, "vscsi %u:0:%u:%u: %s: no medium", i->host, i->target,
		       i->lun, i->name);
}

void vscsi_blk_media_poll(void)
{
	static bool running;  /* a re-read waits for commands: no nesting */
	static uint64_t last_scan;
	struct vscsi_ctrl *first = vscsi_ctrl_next(NULL);
	if (running || !first)
		return;
	uint64_t now = vs_now(vs_ctrl_glue(first));
	if (last_scan && now - last_scan < MEDIA_SCAN_NS)
		return;
	last_scan = now;
	running = true;
	for (struct vscsi_ctrl *c = first; c; c = vscsi_ctrl_next(c)) {
		const struct vscsi_glue *g = vs_ctrl_glue(c);
		for (struct vscsi_lun *l = vscsi_ctrl_lun_next(c, NULL); l;
		     l = vscsi_ctrl_lun_next(c, l)) {
			const struct vscsi_lun_info *i = vscsi_lun_info(l);
			if (!vscsi_blk_is_block(l) || !(i->removable || is_mmc(i)))
				continue;
			struct vs_blk_dev *st = vs_blk_state(l);
			if (!st)
				continue;
			struct vs_media_poll *m = &st->media;
			if (__atomic_load_n(&m->inflight, __ATOMIC_ACQUIRE))
				continue;
			if (!m->next_ns)
				m->use_tur = !is_mmc(i);
			if (__atomic_load_n(&m->answered, __ATOMIC_ACQUIRE)) {
				m->answered = false;
				if (media_changed(l, m))
					media_reread(l, st);
			}
			now = vs_now(g);
			if (now >= m->next_ns) {
				m->next_ns = now + MEDIA_POLL_NS;
				media_submit(l, m);
			}
		}
	}
	running = false;
}
