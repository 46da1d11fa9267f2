/*
 * controller.c - bringing a virtio-scsi device up and down: feature
 * negotiation, the device configuration (virtio 1.2 §5.6.4), the queues
 * (control 0, event 1, every request queue from 2), DRIVER_OK, the first
 * event buffers, and the global list of controllers in probe order.
 */
#include "scsi/internal.h"

struct vscsi_ctrl *vs_ctrl_list;

/* Device-independent features this driver can use; the virtio layer
 * accepts only those the device offers and the caller did not veto.
 * INOUT and T10_PI are never asked for (§5.6.3: their header layouts and
 * bidirectional data are not implemented). */
#define VS_WANTED_FEATURES                                                              \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) |             \
	 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |          \
	 VIRTIO_BIT(VIRTIO_F_RING_PACKED) | VIRTIO_BIT(VIRTIO_SCSI_F_HOTPLUG) |         \
	 VIRTIO_BIT(VIRTIO_SCSI_F_CHANGE))

#define VS_MAX_REQUEST_QUEUES 64
#define VS_DEFAULT_TIMEOUT_MS 30000u

void vscsi_opts_default(struct vscsi_opts *o)
{
	vs_memset(o, 0, sizeof(*o));
	o->intr = VSCSI_INTR_AUTO;
	o->scan_max_target = 0xffffffffu;
	o->scan_max_lun = 0xffffffffu;
}

uint64_t vs_now(const struct vscsi_ctrl *c)
{
	return c->glue->clock_ns(c->glue->ctx);
}

uint32_t vs_timeout_ms(const struct vscsi_ctrl *c, uint32_t ms)
{
	if (ms)
		return ms;
	return c->opts.cmd_timeout_ms ? c->opts.cmd_timeout_ms : VS_DEFAULT_TIMEOUT_MS;
}

static void vs_config_changed(struct virtio_device *dev, void *arg)
{
	struct vscsi_ctrl *c = arg;
	/* Only a flag here (interrupt context); vscsi_poll does the reset. */
	if (virtio_needs_reset(dev))
		c->needs_reset = true;
}

static void vs_request_vq_cb(struct virtqueue *vq, void *arg)
{
	(void)vq;
	vs_queue_drain(arg);
}

static void vs_control_vq_cb(struct virtqueue *vq, void *arg)
{
	(void)vq;
	vs_ctl_drain(arg);
}

static void vs_event_vq_cb(struct virtqueue *vq, void *arg)
{
	(void)vq;
	vs_evq_drain(arg);
}

/* Read and sanity-check the device configuration.  The device is not
 * trusted: zeros and absurd values are replaced by safe ones, logged. */
static int vs_read_config(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	struct virtio_scsi_config cfg;
	int r = virtio_config_read(c->dev, 0, &cfg, sizeof(cfg));
	if (r < 0) {
		vs_log(g, VS_LOG_ERR, "vscsi %s: cannot read device config (%d)",
		       virtio_location(c->dev), r);
		return r;
	}
	c->num_queues = vs_le32(cfg.num_queues);
	c->seg_max = vs_le32(cfg.seg_max);
	c->max_sectors = vs_le32(cfg.max_sectors);
	c->cmd_per_lun = vs_le32(cfg.cmd_per_lun);
	c->event_info_size = vs_le32(cfg.event_info_size);
	c->sense_size = vs_le32(cfg.sense_size);
	c->cdb_size = vs_le32(cfg.cdb_size);
	c->max_channel = vs_le16(cfg.max_channel);
	c->max_target = vs_le16(cfg.max_target);
	c->max_lun = vs_le32(cfg.max_lun);
	return 0;
}

/* §5.6.4: the driver may write sense_size and cdb_size, nothing else.
 * Write only when the device does not already use our sizes (QEMU breaks
 * the device on absurd values, so only ever write 32 and 96). */
static void vs_set_sizes(struct vscsi_ctrl *c)
{
	if (c->cdb_size != VIRTIO_SCSI_CDB_SIZE)
		virtio_config_write32(c->dev, VS_CFG_OFF(cdb_size), VIRTIO_SCSI_CDB_SIZE);
	if (c->sense_size != VIRTIO_SCSI_SENSE_SIZE)
		virtio_config_write32(c->dev, VS_CFG_OFF(sense_size), VIRTIO_SCSI_SENSE_SIZE);
	if (c->cdb_size != VIRTIO_SCSI_CDB_SIZE || c->sense_size != VIRTIO_SCSI_SENSE_SIZE) {
		uint8_t b[4];
		if (virtio_config_read(c->dev, VS_CFG_OFF(cdb_size), b, 4) == 0)
			c->cdb_size = vs_le32(b);
		if (virtio_config_read(c->dev, VS_CFG_OFF(sense_size), b, 4) == 0)
			c->sense_size = vs_le32(b);
	}
}

static int vs_check_config(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	const char *loc = virtio_location(c->dev);
	if (c->cdb_size < 6 || c->cdb_size > 255) {
		vs_log(g, VS_LOG_ERR, "vscsi %s: unusable cdb_size %u", loc, c->cdb_size);
		return -VSCSI_EPROTO;
	}
	if (c->sense_size > 4096) {
		vs_log(g, VS_LOG_ERR, "vscsi %s: unusable sense_size %u", loc, c->sense_size);
		return -VSCSI_EPROTO;
	}
	if (c->num_queues == 0) {
		vs_log(g, VS_LOG_WARN, "vscsi %s: num_queues 0, using 1", loc);
		c->num_queues = 1;
	}
	if (c->seg_max == 0) {
		vs_log(g, VS_LOG_WARN, "vscsi %s: seg_max 0, using 1", loc);
		c->seg_max = 1;
	}
	if (c->max_sectors == 0)
		c->max_sectors = 0xffff; /* a hint only (§5.6.4); Linux does the same */
	if (c->cmd_per_lun == 0)
		c->cmd_per_lun = 1;
	if (c->max_target > 255) {
		vs_log(g, VS_LOG_WARN, "vscsi %s: max_target %u, scanning 0..255", loc,
		       c->max_target);
	}
	if (c->max_lun > 16383) {
		vs_log(g, VS_LOG_WARN, "vscsi %s: max_lun %u, scanning 0..16383", loc, c->max_lun);
	}
	c->req_size = VIRTIO_SCSI_CMD_REQ_FIXED + c->cdb_size;
	c->resp_size = VIRTIO_SCSI_CMD_RESP_FIXED + c->sense_size;
	return 0;
}

static void *vs_zalloc(const struct vscsi_glue *g, size_t size)
{
	uint64_t bus;
	return g->dma_alloc(g->ctx, size, 64, &bus);
}

static void vs_free_ctrl(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	if (c->rq) {
		for (unsigned i = 0; i < c->nrq; i++)
			vs_queue_free(c, &c->rq[i]);
		g->dma_free(g->ctx, c->rq, sizeof(*c->rq) * c->nrq);
	}
	vs_ctl_free(c);
	vs_evq_free(c);
	struct vscsi_lun *l = c->luns;
	while (l) {
		struct vscsi_lun *n = l->next;
		vs_lun_release_name(l);
		if (l->upper && l->upper_release)
			l->upper_release(l);
		g->dma_free(g->ctx, l, sizeof(*l));
		l = n;
	}
	if (c->lock && g->lock_destroy)
		g->lock_destroy(g->ctx, c->lock);
	g->dma_free(g->ctx, c, sizeof(*c));
}

static int vs_create_queues(struct vscsi_ctrl *c)
{
	unsigned nrq = c->num_queues;
	if (nrq > VS_MAX_REQUEST_QUEUES)
		nrq = VS_MAX_REQUEST_QUEUES;
	if (c->opts.max_request_queues && nrq > c->opts.max_request_queues)
		nrq = c->opts.max_request_queues;
	unsigned have = virtio_queue_count(c->dev);
	if (have >= 3 && nrq > have - 2)
		nrq = have - 2;

	c->rq = vs_zalloc(c->glue, sizeof(*c->rq) * nrq);
	if (!c->rq)
		return -VSCSI_ENOMEM;
	c->nrq = nrq;

	struct virtq_request req[2 + VS_MAX_REQUEST_QUEUES];
	vs_memset(req, 0, sizeof(req));
	req[VIRTIO_SCSI_QUEUE_CONTROL].callback = vs_control_vq_cb;
	req[VIRTIO_SCSI_QUEUE_CONTROL].arg = c;
	req[VIRTIO_SCSI_QUEUE_EVENT].callback = vs_event_vq_cb;
	req[VIRTIO_SCSI_QUEUE_EVENT].arg = c;
	/* Control and event chains have at most two buffers: no indirect
	 * tables.  A command needs header + response + seg_max data. */
	req[VIRTIO_SCSI_QUEUE_CONTROL].indirect_max = 1;
	req[VIRTIO_SCSI_QUEUE_EVENT].indirect_max = 1;
	uint32_t chain = c->seg_max + 2 > 256 ? 256 : c->seg_max + 2;
	for (unsigned i = 0; i < nrq; i++) {
		req[VIRTIO_SCSI_QUEUE_REQUEST0 + i].callback = vs_request_vq_cb;
		req[VIRTIO_SCSI_QUEUE_REQUEST0 + i].arg = &c->rq[i];
		req[VIRTIO_SCSI_QUEUE_REQUEST0 + i].indirect_max = (uint16_t)chain;
	}
	int r = virtio_queues_create(c->dev, 2 + nrq, req);
	if (r < 0 && nrq > 1) {
		vs_log(c->glue, VS_LOG_WARN,
		       "vscsi %s: %u request queues failed (%d), retrying with one",
		       virtio_location(c->dev), nrq, r);
		nrq = 1;
		c->nrq = 1;
		r = virtio_queues_create(c->dev, 3, req);
	}
	if (r < 0) {
		vs_log(c->glue, VS_LOG_ERR, "vscsi %s: queue setup failed (%d)",
		       virtio_location(c->dev), r);
		return r;
	}
	c->ctl.vq = virtio_queue(c->dev, VIRTIO_SCSI_QUEUE_CONTROL);
	c->evq.vq = virtio_queue(c->dev, VIRTIO_SCSI_QUEUE_EVENT);
	if (!c->ctl.vq || !c->evq.vq)
		return -VSCSI_EIO;

	r = vs_ctl_init(c);
	if (r == 0)
		r = vs_evq_init(c);
	for (unsigned i = 0; r == 0 && i < c->nrq; i++)
		r = vs_queue_init(c, &c->rq[i], VIRTIO_SCSI_QUEUE_REQUEST0 + i, c->opts.queue_depth);
	if (r < 0)
		return r;

	/* Bytes per command: the max_sectors hint, and what seg_max segments
	 * of (at worst) one page each can hold. */
	uint64_t mt = (uint64_t)c->max_sectors * 512;
	uint64_t by_segs = (uint64_t)c->rq[0].max_segs * 4096;
	if (mt > by_segs)
		mt = by_segs;
	if (mt > 0x40000000u)
		mt = 0x40000000u;
	c->max_transfer = (uint32_t)mt;
	return 0;
}

int vs_probe_device(const struct vscsi_glue *glue, struct virtio_device *dev,
		    const struct vscsi_opts *opts, struct vscsi_ctrl **out)
{
	const char *loc = virtio_location(dev);
	if (virtio_device_id(dev) != VIRTIO_ID_SCSI) {
		vs_log(glue, VS_LOG_ERR, "vscsi %s: device id %u is not SCSI (8)", loc,
		       virtio_device_id(dev));
		virtio_close(dev);
		return -VSCSI_ENODEV;
	}
	struct vscsi_ctrl *c = vs_zalloc(glue, sizeof(*c));
	if (!c) {
		virtio_close(dev);
		return -VSCSI_ENOMEM;
	}
	c->glue = glue;
	c->dev = dev;
	if (opts)
		c->opts = *opts;
	else
		vscsi_opts_default(&c->opts);
	c->lock = vs_lock_create(glue);

	int r = virtio_negotiate(dev, VS_WANTED_FEATURES & ~c->opts.feature_veto);
	if (r == 0)
		r = vs_read_config(c);
	if (r == 0) {
		vs_set_sizes(c);
		r = vs_check_config(c);
	}
	if (r == 0)
		r = vs_create_queues(c);
	if (r < 0) {
		vs_log(glue, VS_LOG_ERR, "vscsi %s: bring-up failed: %s", loc, vscsi_strerror(r));
		virtio_close(dev); /* resets first: no buffer stays with the device */
		c->dev = NULL;
		vs_free_ctrl(c);
		return r;
	}
	virtio_set_config_callback(dev, vs_config_changed, c);

	/* §3.1.1 step 8, then the event buffers: events before DRIVER_OK are
	 * dropped (spec-and-linux §8.8), and they are posted whatever features
	 * were negotiated, or PARAM_CHANGE would never arrive (Linux 0019a3a5). */
	virtio_driver_ok(dev);
	vs_event_post_all(c);

	/* Append to the global list: host numbers follow probe order. */
	unsigned host = 0;
	struct vscsi_ctrl **pp = &vs_ctrl_list;
	while (*pp) {
		if ((*pp)->host >= host)
			host = (*pp)->host + 1;
		pp = &(*pp)->next;
	}
	c->host = host;
	*pp = c;

	vs_log(glue, VS_LOG_INFO,
	       "vscsi host%u: %s %s, %s interrupts, features %#llx, %u request queue(s) x %u, "
	       "seg_max %u, max_sectors %u, cmd_per_lun %u, max_target %u, max_lun %u",
	       c->host, virtio_transport_name(dev), loc,
	       virtio_intr_mode(dev) == VIRTIO_INTR_MSIX   ? "MSI-X"
	       : virtio_intr_mode(dev) == VIRTIO_INTR_INTX ? "INTx"
							   : "no",
	       (unsigned long long)virtio_features(dev), c->nrq, c->rq[0].nreqs, c->seg_max,
	       c->max_sectors, c->cmd_per_lun, c->max_target, c->max_lun);

	if (out)
		*out = c;
	if (!c->opts.no_scan)
		vs_scan(c);
	return 0;
}

/* What the virtio layer needs of the caller's options. */
static struct virtio_open_opts vs_open_opts(const struct vscsi_opts *opts)
{
	struct virtio_open_opts vo = { 0 };
	if (opts) {
		vo.intr = (enum virtio_intr_mode)opts->intr;
		vo.prefer_legacy = opts->prefer_legacy;
		vo.feature_veto = opts->feature_veto;
	}
	return vo;
}

int vscsi_probe_pci(const struct vscsi_glue *glue, struct vscsi_pci_addr pci,
		    const struct vscsi_opts *opts, struct vscsi_ctrl **out)
{
	struct virtio_open_opts vo = vs_open_opts(opts);
	struct virtio_device *dev;
	int r = virtio_pci_open(glue, pci, &vo, &dev);
	if (r < 0)
		return r;
	return vs_probe_device(glue, dev, opts, out);
}

int vscsi_probe_mmio(const struct vscsi_glue *glue, uint64_t phys, uint32_t gsi,
		     const struct vscsi_opts *opts, struct vscsi_ctrl **out)
{
	struct virtio_open_opts vo = vs_open_opts(opts);
	struct virtio_device *dev;
	int r = virtio_mmio_open(glue, phys, gsi, &vo, &dev);
	if (r < 0)
		return r;
	return vs_probe_device(glue, dev, opts, out);
}

void vscsi_remove(struct vscsi_ctrl *c)
{
	if (!c)
		return;
	for (struct vscsi_ctrl **pp = &vs_ctrl_list; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->dead = true;
	/* Reset before anything is freed (spec-and-linux §9.6): afterwards the
	 * device owns no buffer, and every outstanding command is failed. */
	if (c->dev) {
		virtio_reset(c->dev);
		struct vs_req *lists[VS_MAX_REQUEST_QUEUES] = { 0 };
		for (unsigned i = 0; i < c->nrq; i++)
			vs_queue_reclaim(&c->rq[i], &lists[i]);
		vs_ctl_reclaim(c);
		for (unsigned i = 0; i < c->nrq; i++)
			vs_complete_reclaimed(c, lists[i], -VSCSI_ENODEV);
		for (struct vscsi_lun *l = c->luns; l; l = l->next)
			if (!l->info.gone)
				vs_lun_mark_gone(l);
		virtio_close(c->dev);
		c->dev = NULL;
	}
	vs_free_ctrl(c);
}

static void vs_ignore_cookie(void *cookie, void *arg)
{
	(void)cookie;
	(void)arg;
}

/* virtio 1.2 §3.1.1 again after a reset: every outstanding request is
 * completed with `err` once the device is running again. */
static int vs_reset_with(struct vscsi_ctrl *c, int err)
{
	const struct vscsi_glue *g = c->glue;
	if (c->resetting)
		return -VSCSI_EBUSY;
	c->resetting = true;
	c->stats.device_resets++;
	vs_log(g, VS_LOG_WARN, "vscsi host%u: resetting the device", c->host);

	int r = virtio_reset(c->dev);
	struct vs_req *lists[VS_MAX_REQUEST_QUEUES] = { 0 };
	for (unsigned i = 0; i < c->nrq; i++)
		vs_queue_reclaim(&c->rq[i], &lists[i]);
	vs_ctl_reclaim(c);
	/* Event buffers come back through reclaim too; they are re-posted
	 * below, so there is nothing to do with them. */
	virtq_reclaim(c->evq.vq, vs_ignore_cookie, NULL);
	if (r == 0)
		r = virtio_reinit(c->dev);
	if (r == 0) {
		vs_read_config(c);
		vs_set_sizes(c); /* a reset restores the defaults (§5.6.4) */
		if (c->req_size != VIRTIO_SCSI_CMD_REQ_FIXED + c->cdb_size ||
		    c->resp_size != VIRTIO_SCSI_CMD_RESP_FIXED + c->sense_size) {
			vs_log(g, VS_LOG_ERR, "vscsi host%u: header sizes changed across reset",
			       c->host);
			r = -VSCSI_EPROTO;
		}
	}
	if (r == 0) {
		vs_event_post_all(c);
		c->needs_reset = false;
	} else {
		vs_log(g, VS_LOG_ERR, "vscsi host%u: reset failed (%s): controller is dead",
		       c->host, vscsi_strerror(r));
		c->dead = true;
		virtio_reset(c->dev);
	}
	c->resetting = false;
	for (unsigned i = 0; i < c->nrq; i++)
		vs_complete_reclaimed(c, lists[i], r == 0 ? err : -VSCSI_ENODEV);
	return r;
}

int vscsi_ctrl_reset(struct vscsi_ctrl *c)
{
	if (!c || c->dead)
		return -VSCSI_ENODEV;
	return vs_reset_with(c, -VSCSI_ECONNRESET);
}

void vscsi_poll(struct vscsi_ctrl *c)
{
	if (!c || c->dead)
		return;
	if (virtio_intr_mode(c->dev) == VIRTIO_INTR_POLL)
		virtio_poll(c->dev); /* config changes (NEEDS_RESET) and callbacks */
	vs_drain_all(c);
	if (c->needs_reset || virtio_needs_reset(c->dev)) {
		vs_log(c->glue, VS_LOG_WARN, "vscsi host%u: device needs reset", c->host);
		vs_reset_with(c, -VSCSI_ECONNRESET);
	}
	if (!c->in_events && !c->scanning)
		vs_events_process(c);
}

void vscsi_poll_all(void)
{
	for (struct vscsi_ctrl *c = vs_ctrl_list; c; c = c->next)
		vscsi_poll(c);
}

struct vscsi_ctrl *vscsi_ctrl_next(struct vscsi_ctrl *prev)
{
	return prev ? prev->next : vs_ctrl_list;
}

struct vscsi_ctrl *vscsi_ctrl_by_host(unsigned host)
{
	for (struct vscsi_ctrl *c = vs_ctrl_list; c; c = c->next)
		if (c->host == host)
			return c;
	return NULL;
}

void vscsi_ctrl_get_info(const struct vscsi_ctrl *c, struct vscsi_ctrl_info *o)
{
	*o = c->stats;
	o->host = c->host;
	o->location = virtio_location(c->dev);
	o->transport = virtio_transport_name(c->dev);
	o->intr = (enum vscsi_intr_mode)virtio_intr_mode(c->dev);
	o->offered_features = virtio_offered_features(c->dev);
	o->features = virtio_features(c->dev);
	o->num_queues = c->num_queues;
	o->seg_max = c->seg_max;
	o->max_sectors = c->max_sectors;
	o->cmd_per_lun = c->cmd_per_lun;
	o->event_info_size = c->event_info_size;
	o->sense_size = c->sense_size;
	o->cdb_size = c->cdb_size;
	o->max_channel = c->max_channel;
	o->max_target = c->max_target;
	o->max_lun = c->max_lun;
	o->request_queues = c->nrq;
	o->queue_size = c->nrq ? virtq_size(c->rq[0].vq) : 0;
	o->requests_per_queue = c->nrq ? c->rq[0].nreqs : 0;
	o->max_segments = c->nrq ? c->rq[0].max_segs : 0;
	o->max_transfer = c->max_transfer;
	o->dead = c->dead;
}

int vs_ctrl_reset_internal(struct vscsi_ctrl *c, int err)
{
	return vs_reset_with(c, err);
}
