/*
 * adapter.c - bringing a virtio-scsi device up and down: feature
 * negotiation, the device configuration (virtio 1.2 §5.6.4), the queues
 * (control 0, event 1, every request queue from 2: virtio 1.2 §5.6.2), DRIVER_OK, the
 * first event buffers; servicing the device (poll, drain, recover); reset
 * and re-initialisation; teardown; what the adapter tells the midlayer
 * about itself.
 *
 *   vs_adapter_open_pci/_mmio   the transport (drv/virtio)
 *   vs_adapter_attach           virtio 1.2 §3.1.1 steps 1-8 with §5.6.3-5.6.5
 *   vs_adapter_reset            virtio 1.2 §3.1.1 again after a reset (virtio 1.2 §2.4)
 *   vs_adapter_stop / _destroy  reset, fail what is outstanding, free (virtio 1.2 §3.3.1)
 */
#include "virtio_scsi/internal.h"

_Static_assert(VS_SENSE_SIZE == VIRTIO_SCSI_SENSE_SIZE, "the sense size the adapter writes");

/* Device-independent features this driver can use, and the virtio-scsi
 * ones (virtio 1.2 §5.6.3); the virtio layer accepts only those the device
 * offers and the caller did not veto.  INOUT and T10_PI are never asked
 * for: their header layouts and bidirectional data are not implemented. */
#define WANTED_FEATURES                                                                 \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) |             \
	 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |          \
	 VIRTIO_BIT(VIRTIO_F_RING_PACKED) | VIRTIO_BIT(VIRTIO_SCSI_F_HOTPLUG) |         \
	 VIRTIO_BIT(VIRTIO_SCSI_F_CHANGE))

#define MAX_REQUEST_QUEUES 64

/* --- the transport ---------------------------------------------------------- */

/* What the virtio layer needs of the caller's options. */
static struct virtio_open_opts open_opts(const struct vscsi_opts *opts)
{
	struct virtio_open_opts vo = { 0 };
	if (opts) {
		vo.intr = (enum virtio_intr_mode)opts->intr;
		vo.prefer_legacy = opts->prefer_legacy;
		vo.feature_veto = opts->feature_veto;
	}
	return vo;
}

int vs_adapter_open_pci(const struct vscsi_glue *glue, struct vscsi_pci_addr pci,
			const struct vscsi_opts *opts, struct virtio_device **dev)
{
	struct virtio_open_opts vo = open_opts(opts);
	return virtio_pci_open(glue, pci, &vo, dev);
}

int vs_adapter_open_mmio(const struct vscsi_glue *glue, uint64_t phys, uint32_t gsi,
			 const struct vscsi_opts *opts, struct virtio_device **dev)
{
	struct virtio_open_opts vo = open_opts(opts);
	return virtio_mmio_open(glue, phys, gsi, &vo, dev);
}

/* --- queue callbacks (interrupt context, or a poller) ----------------------- */

static void config_changed(struct virtio_device *dev, void *arg)
{
	struct vs_adapter *a = arg;
	/* Only a flag here (interrupt context); the next poll or wait resets. */
	if (virtio_needs_reset(dev))
		a->needs_reset = true;
}

static void request_queue_used(struct virtqueue *vq, void *arg)
{
	(void)vq;
	vs_queue_drain(arg);
}

static void control_queue_used(struct virtqueue *vq, void *arg)
{
	(void)vq;
	vs_ctl_drain(arg);
}

static void event_queue_used(struct virtqueue *vq, void *arg)
{
	(void)vq;
	vs_evq_drain(arg);
}

/* --- the device configuration (virtio 1.2 §5.6.4) ---------------------------- */

static int read_config(struct vs_adapter *a)
{
	struct virtio_scsi_config cfg;
	int r = virtio_config_read(a->dev, 0, &cfg, sizeof(cfg));
	if (r < 0) {
		vs_log(a->glue, VS_LOG_ERR, "vscsi %s: cannot read device config (%d)",
		       virtio_location(a->dev), r);
		return r;
	}
	a->num_queues = vs_le32(cfg.num_queues);
	a->seg_max = vs_le32(cfg.seg_max);
	a->max_sectors = vs_le32(cfg.max_sectors);
	a->cmd_per_lun = vs_le32(cfg.cmd_per_lun);
	a->event_info_size = vs_le32(cfg.event_info_size);
	a->sense_size = vs_le32(cfg.sense_size);
	a->cdb_size = vs_le32(cfg.cdb_size);
	a->max_channel = vs_le16(cfg.max_channel);
	a->max_target = vs_le16(cfg.max_target);
	a->max_lun = vs_le32(cfg.max_lun);
	/* Kept as read, for the embedding OS to show next to what the driver
	 * makes of it (check_config, write_sizes). */
	a->config = (struct vscsi_virtio_scsi_config){
		a->num_queues, a->seg_max, a->max_sectors, a->cmd_per_lun, a->event_info_size,
		a->sense_size, a->cdb_size, a->max_channel, a->max_target, a->max_lun,
	};
	return 0;
}

/* virtio 1.2 §5.6.4: the driver may write sense_size and cdb_size, nothing
 * else.  Write only when the device does not already use our sizes (QEMU
 * breaks the device on absurd values, so only ever write 32 and 96). */
static void write_sizes(struct vs_adapter *a)
{
	if (a->cdb_size != VIRTIO_SCSI_CDB_SIZE)
		virtio_config_write32(a->dev, VS_CFG_OFF(cdb_size), VIRTIO_SCSI_CDB_SIZE);
	if (a->sense_size != VIRTIO_SCSI_SENSE_SIZE)
		virtio_config_write32(a->dev, VS_CFG_OFF(sense_size), VIRTIO_SCSI_SENSE_SIZE);
	if (a->cdb_size != VIRTIO_SCSI_CDB_SIZE || a->sense_size != VIRTIO_SCSI_SENSE_SIZE) {
		uint8_t b[4];
		if (virtio_config_read(a->dev, VS_CFG_OFF(cdb_size), b, 4) == 0)
			a->cdb_size = vs_le32(b);
		if (virtio_config_read(a->dev, VS_CFG_OFF(sense_size), b, 4) == 0)
			a->sense_size = vs_le32(b);
	}
}

/* The device is not trusted: zeros and absurd values are replaced by safe
 * ones, logged; sizes no header can be built from end the bring-up. */
static int check_config(struct vs_adapter *a)
{
	const struct vscsi_glue *g = a->glue;
	const char *loc = virtio_location(a->dev);
	if (a->cdb_size < 6 || a->cdb_size > 255) {
		vs_log(g, VS_LOG_ERR, "vscsi %s: unusable cdb_size %u", loc, a->cdb_size);
		return -VSCSI_EPROTO;
	}
	if (a->sense_size > 4096) {
		vs_log(g, VS_LOG_ERR, "vscsi %s: unusable sense_size %u", loc, a->sense_size);
		return -VSCSI_EPROTO;
	}
	if (a->num_queues == 0) {
		vs_log(g, VS_LOG_WARN, "vscsi %s: num_queues 0, using 1", loc);
		a->num_queues = 1;
	}
	if (a->seg_max == 0) {
		vs_log(g, VS_LOG_WARN, "vscsi %s: seg_max 0, using 1", loc);
		a->seg_max = 1;
	}
	if (a->max_sectors == 0)
		a->max_sectors = 0xffff; /* a hint only (virtio 1.2 §5.6.4); Linux does the same */
	if (a->cmd_per_lun == 0)
		a->cmd_per_lun = 1;
	if (a->max_target > 255) {
		vs_log(g, VS_LOG_WARN, "vscsi %s: max_target %u, scanning 0..255", loc,
		       a->max_target);
	}
	if (a->max_lun > 16383) {
		vs_log(g, VS_LOG_WARN, "vscsi %s: max_lun %u, scanning 0..16383", loc, a->max_lun);
	}
	a->req_size = VIRTIO_SCSI_CMD_REQ_FIXED + a->cdb_size;
	a->resp_size = VIRTIO_SCSI_CMD_RESP_FIXED + a->sense_size;
	return 0;
}

/* --- the queues ----------------------------------------------------------------- */

static void *zalloc(const struct vscsi_glue *g, size_t size)
{
	uint64_t bus;
	return g->dma_alloc(g->ctx, size, 64, &bus);
}

/*
 * Step 7 of virtio 1.2 §3.1.1 for this device (virtio 1.2 §5.6.2): the control queue,
 * the event queue and num_queues request queues (at most 64, at most what
 * the caller allows and the transport has; one if several cannot be set
 * up), then the pools behind them and the bytes one command may carry.
 */
static int create_queues(struct vs_adapter *a)
{
	unsigned nrq = a->num_queues;
	if (nrq > MAX_REQUEST_QUEUES)
		nrq = MAX_REQUEST_QUEUES;
	if (a->max_request_queues && nrq > a->max_request_queues)
		nrq = a->max_request_queues;
	/* What the device really has: num_queues in its configuration may
	 * promise more virtqueues than the transport offers. */
	unsigned have = virtio_device_queue_count(a->dev, 2 + MAX_REQUEST_QUEUES);
	if (have < 3) {
		vs_log(a->glue, VS_LOG_ERR,
		       "vscsi %s: the device has %u virtqueues; control, event and one "
		       "request queue are needed", virtio_location(a->dev), have);
		return -VSCSI_ENODEV;
	}
	if (nrq > have - 2) {
		vs_log(a->glue, VS_LOG_WARN,
		       "vscsi %s: num_queues %u but %u virtqueues: using %u request queue(s)",
		       virtio_location(a->dev), nrq, have, have - 2);
		nrq = have - 2;
	}

	a->rq = zalloc(a->glue, sizeof(*a->rq) * nrq);
	if (!a->rq)
		return -VSCSI_ENOMEM;
	a->nrq = nrq;
	a->rq_alloc = nrq; /* what dma_free must be told, whatever nrq becomes */

	struct virtq_request req[2 + MAX_REQUEST_QUEUES];
	vs_memset(req, 0, sizeof(req));
	req[VIRTIO_SCSI_QUEUE_CONTROL].callback = control_queue_used;
	req[VIRTIO_SCSI_QUEUE_CONTROL].arg = a;
	req[VIRTIO_SCSI_QUEUE_EVENT].callback = event_queue_used;
	req[VIRTIO_SCSI_QUEUE_EVENT].arg = a;
	/* Control and event chains have at most two buffers: no indirect
	 * tables.  A command needs header + response + seg_max data. */
	req[VIRTIO_SCSI_QUEUE_CONTROL].indirect_max = 1;
	req[VIRTIO_SCSI_QUEUE_EVENT].indirect_max = 1;
	uint32_t chain = a->seg_max + 2 > 256 ? 256 : a->seg_max + 2;
	for (unsigned i = 0; i < nrq; i++) {
		req[VIRTIO_SCSI_QUEUE_REQUEST0 + i].callback = request_queue_used;
		req[VIRTIO_SCSI_QUEUE_REQUEST0 + i].arg = &a->rq[i];
		req[VIRTIO_SCSI_QUEUE_REQUEST0 + i].indirect_max = (uint16_t)chain;
	}
	int r = virtio_queues_create(a->dev, 2 + nrq, req);
	if (r < 0 && nrq > 1) {
		vs_log(a->glue, VS_LOG_WARN,
		       "vscsi %s: %u request queues failed (%d), retrying with one",
		       virtio_location(a->dev), nrq, r);
		nrq = 1;
		a->nrq = 1;
		r = virtio_queues_create(a->dev, 3, req);
	}
	if (r < 0) {
		vs_log(a->glue, VS_LOG_ERR, "vscsi %s: queue setup failed (%d)",
		       virtio_location(a->dev), r);
		return r;
	}
	a->ctl.vq = virtio_queue(a->dev, VIRTIO_SCSI_QUEUE_CONTROL);
	a->evq.vq = virtio_queue(a->dev, VIRTIO_SCSI_QUEUE_EVENT);
	if (!a->ctl.vq || !a->evq.vq)
		return -VSCSI_EIO;

	r = vs_ctl_init(a);
	if (r == 0)
		r = vs_evq_init(a);
	for (unsigned i = 0; r == 0 && i < a->nrq; i++)
		r = vs_queue_init(a, &a->rq[i], VIRTIO_SCSI_QUEUE_REQUEST0 + i, a->queue_depth);
	if (r < 0)
		return r;

	/* Bytes per command: the max_sectors hint, and what seg_max segments
	 * of (at worst) one page each can hold. */
	uint64_t mt = (uint64_t)a->max_sectors * 512;
	uint64_t by_segs = (uint64_t)a->rq[0].max_segs * 4096;
	if (mt > by_segs)
		mt = by_segs;
	if (mt > 0x40000000u)
		mt = 0x40000000u;
	a->max_transfer = (uint32_t)mt;
	return 0;
}

/* The device could not be reset: forget (never free) the memory it may
 * still write; free_adapter() frees the rest. */
static void keep_device_memory(struct vs_adapter *a)
{
	size_t kept = a->ctl.mem_size + a->evq.mem_size;
	for (unsigned i = 0; i < a->rq_alloc; i++) {
		kept += a->rq[i].hdr_mem ? a->rq[i].hdr_mem_size : 0;
		a->rq[i].hdr_mem = NULL;
	}
	a->ctl.mem = NULL;
	a->evq.mem = NULL;
	vs_log(a->glue, VS_LOG_ERR, "vscsi host%u: keeping %zu bytes of request headers, "
	       "control and event buffers the device may still write", a->host, kept);
}

/* Everything the adapter allocated; the device must be closed already (or
 * never have been handed any buffer). */
static void free_adapter(struct vs_adapter *a)
{
	const struct vscsi_glue *g = a->glue;
	if (a->rq) {
		for (unsigned i = 0; i < a->rq_alloc; i++)
			vs_queue_free(a, &a->rq[i]);
		g->dma_free(g->ctx, a->rq, sizeof(*a->rq) * a->rq_alloc);
	}
	vs_ctl_free(a);
	vs_evq_free(a);
	g->dma_free(g->ctx, a, sizeof(*a));
}

/* --- bring-up ----------------------------------------------------------------------- */

int vs_adapter_attach(const struct vscsi_glue *glue, struct virtio_device *dev,
		      const struct vscsi_opts *opts, struct vs_adapter **out)
{
	const char *loc = virtio_location(dev);
	if (virtio_device_id(dev) != VIRTIO_ID_SCSI) {
		vs_log(glue, VS_LOG_ERR, "vscsi %s: device id %u is not SCSI (8)", loc,
		       virtio_device_id(dev));
		virtio_close(dev);
		return -VSCSI_ENODEV;
	}
	struct vs_adapter *a = zalloc(glue, sizeof(*a));
	if (!a) {
		virtio_close(dev);
		return -VSCSI_ENOMEM;
	}
	a->glue = glue;
	a->dev = dev;
	a->feature_veto = opts->feature_veto;
	a->max_request_queues = opts->max_request_queues;
	a->queue_depth = opts->queue_depth;
	a->event_buffers = opts->event_buffers;

	int r = virtio_negotiate(dev, WANTED_FEATURES & ~a->feature_veto);
	if (r == 0)
		r = read_config(a);
	if (r == 0) {
		write_sizes(a);
		r = check_config(a);
	}
	if (r == 0)
		r = create_queues(a);
	if (r < 0) {
		vs_log(glue, VS_LOG_ERR, "vscsi %s: bring-up failed: %s", loc, vscsi_strerror(r));
		/* Resets first: no buffer stays with the device, or (a reset
		 * that does not complete) what it may write is kept. */
		if (virtio_close(dev) < 0)
			keep_device_memory(a);
		a->dev = NULL;
		free_adapter(a);
		return r;
	}
	virtio_set_config_callback(dev, config_changed, a);

	/* virtio 1.2 §3.1.1 step 8, then the event buffers.  QEMU drops events
	 * that arrive before DRIVER_OK, so nothing is lost by posting them
	 * after it; they are posted whatever features were negotiated, or
	 * PARAM_CHANGE would never arrive (Linux 0019a3a5). */
	virtio_driver_ok(dev);
	vs_evq_post_all(a);
	*out = a;
	return 0;
}

void vs_adapter_close(struct virtio_device *dev)
{
	virtio_close(dev);
}

void vs_adapter_set_host(struct vs_adapter *a, unsigned host)
{
	a->host = host;
}

/* --- reset ---------------------------------------------------------------------------- */

static void ignore_cookie(void *cookie, void *arg)
{
	(void)cookie;
	(void)arg;
}

/* Every request and control slot back from the device, into lists[]:
 * reclaimed after a reset that completed (virtio 1.2 §2.4: the device owns
 * no buffer any more), or abandoned when the reset did not complete (the
 * device may still write them: they are never used again). */
static void take_back(struct vs_adapter *a, bool reset_ok, struct vs_req **lists)
{
	for (unsigned i = 0; i < a->nrq; i++) {
		if (reset_ok)
			vs_queue_reclaim(&a->rq[i], &lists[i]);
		else
			vs_queue_abandon(&a->rq[i], &lists[i]);
	}
	if (reset_ok) {
		vs_ctl_reclaim(a);
		/* Event buffers come back through reclaim too; they are
		 * posted again after a re-initialisation. */
		virtq_reclaim(a->evq.vq, ignore_cookie, NULL);
	} else {
		vs_ctl_abandon(a);
	}
}

/* No command will ever be sent again.  When the device could not be
 * reset (`owns_memory`), its DMA is turned off where the transport can
 * (PCI Bus Master Enable), and the memory it may write is kept for good:
 * rings (drv/virtio), request headers, control slots, event buffers, and
 * the mappings of the commands it held. */
static void declare_dead(struct vs_adapter *a, bool owns_memory, const char *why, int err)
{
	a->dead = true;
	if (owns_memory && !a->dma_kept) {
		a->dma_kept = true;
		virtio_stop_dma(a->dev);
	}
	vs_log(a->glue, VS_LOG_ERR, "vscsi host%u: %s (%s): the controller is dead%s", a->host,
	       why, vscsi_strerror(err),
	       owns_memory ? "; the memory the device holds is never reused" : "");
}

/*
 * virtio 1.2 §3.1.1 again after a reset: once the device reads back status
 * 0 it owns no buffer (virtio 1.2 §2.4), so every request and control slot
 * is taken back, the device is initialised again with the same features
 * and queues, the configuration read again (a failed read is a failed
 * reset, not stale values) and our sizes written again (a reset restores
 * the defaults, virtio 1.2 §5.6.4), the event buffers posted, and only then
 * the reclaimed commands complete with `err`, so that their callbacks find
 * a working device.  A reset that does not complete leaves the adapter
 * dead (declare_dead) and every outstanding command completes with
 * -VSCSI_ENODEV at once.
 */
int vs_adapter_reset(struct vs_adapter *a, int err)
{
	const struct vscsi_glue *g = a->glue;
	if (a->resetting)
		return -VSCSI_EBUSY;
	if (a->dead)
		return -VSCSI_ENODEV;
	a->resetting = true;
	a->device_resets++;
	vs_log(g, VS_LOG_WARN, "vscsi host%u: resetting the device", a->host);

	struct vs_req *lists[MAX_REQUEST_QUEUES] = { 0 };
	int r = virtio_reset(a->dev);
	if (r < 0) {
		declare_dead(a, true, "the device did not complete its reset", r);
		take_back(a, false, lists);
	} else {
		take_back(a, true, lists);
		const char *why = "re-initialisation failed";
		r = virtio_reinit(a->dev);
		if (r == 0) {
			r = read_config(a);
			if (r < 0)
				why = "cannot read the configuration after the reset";
		}
		if (r == 0) {
			write_sizes(a);
			if (a->req_size != VIRTIO_SCSI_CMD_REQ_FIXED + a->cdb_size ||
			    a->resp_size != VIRTIO_SCSI_CMD_RESP_FIXED + a->sense_size) {
				why = "header sizes changed across the reset";
				r = -VSCSI_EPROTO;
			}
		}
		if (r == 0) {
			vs_evq_post_all(a);
			a->needs_reset = false;
		} else {
			/* The device may be running again: stop it before
			 * anything it was given is taken back. */
			int r2 = virtio_reset(a->dev);
			declare_dead(a, r2 < 0, why, r);
		}
	}
	a->resetting = false;
	for (unsigned i = 0; i < a->nrq; i++)
		vs_complete_reclaimed(a, lists[i], r == 0 ? err : -VSCSI_ENODEV);
	return r;
}

bool vs_adapter_resetting(const struct vs_adapter *a)
{
	return __atomic_load_n(&a->resetting, __ATOMIC_ACQUIRE);
}

bool vs_adapter_recover(struct vs_adapter *a, bool ask_device)
{
	if (!a->needs_reset && !(ask_device && virtio_needs_reset(a->dev)))
		return false;
	vs_log(a->glue, VS_LOG_WARN, "vscsi host%u: device needs reset", a->host);
	vs_adapter_reset(a, -VSCSI_ECONNRESET);
	return true;
}

/* --- servicing --------------------------------------------------------------------------- */

void vs_adapter_drain(struct vs_adapter *a)
{
	if (a->dead || a->resetting)
		return;
	vs_drain_requests(a);
	vs_ctl_drain(a);
	vs_evq_drain(a);
}

void vs_adapter_poll(struct vs_adapter *a)
{
	if (a->dead)
		return;
	if (virtio_intr_mode(a->dev) == VIRTIO_INTR_POLL)
		virtio_poll(a->dev); /* config changes (NEEDS_RESET) and callbacks */
	vs_adapter_drain(a);
	if (!a->resetting)
		vs_evq_repost(a);
	vs_adapter_recover(a, true);
}

/* --- teardown ----------------------------------------------------------------------------- */

/* virtio 1.2 §3.3.1: reset before anything is freed, so that afterwards
 * the device owns no buffer; every outstanding command is failed. */
void vs_adapter_stop(struct vs_adapter *a)
{
	if (!a->dev || a->dead) {
		/* Dead already: what the device held completed when it died. */
		a->dead = true;
		return;
	}
	a->dead = true;
	struct vs_req *lists[MAX_REQUEST_QUEUES] = { 0 };
	int r = virtio_reset(a->dev);
	if (r < 0)
		declare_dead(a, true, "the device did not complete its reset on removal", r);
	take_back(a, r == 0, lists);
	for (unsigned i = 0; i < a->nrq; i++)
		vs_complete_reclaimed(a, lists[i], -VSCSI_ENODEV);
}

void vs_adapter_destroy(struct vs_adapter *a)
{
	if (a->dev) {
		/* A reset that completes now (even after an earlier failure)
		 * means the device owns nothing: everything may go. */
		if (virtio_close(a->dev) < 0)
			keep_device_memory(a);
		a->dev = NULL;
	}
	free_adapter(a);
}

/* --- state ----------------------------------------------------------------------------------- */

bool vs_adapter_is_dead(const struct vs_adapter *a)
{
	return a->dead;
}

void vs_adapter_get_limits(const struct vs_adapter *a, struct vs_adapter_limits *out)
{
	out->max_transfer = a->max_transfer;
	out->max_segments = a->nrq ? a->rq[0].max_segs : 1;
	out->request_slots = a->nrq ? a->rq[0].nreqs * a->nrq : 0;
	out->cmd_per_lun = a->cmd_per_lun;
	out->max_target = a->max_target;
	out->max_lun = a->max_lun;
}

void vs_adapter_get_info(const struct vs_adapter *a, struct vscsi_ctrl_info *o)
{
	vs_memset(o, 0, sizeof(*o));
	o->location = virtio_location(a->dev);
	o->transport = virtio_transport_name(a->dev);
	o->intr = (enum vscsi_intr_mode)virtio_intr_mode(a->dev);
	o->offered_features = virtio_offered_features(a->dev);
	o->features = virtio_features(a->dev);
	o->config = a->config;
	o->num_queues = a->num_queues;
	o->seg_max = a->seg_max;
	o->max_sectors = a->max_sectors;
	o->cmd_per_lun = a->cmd_per_lun;
	o->event_info_size = a->event_info_size;
	o->sense_size = a->sense_size;
	o->cdb_size = a->cdb_size;
	o->max_channel = a->max_channel;
	o->max_target = a->max_target;
	o->max_lun = a->max_lun;
	o->request_queues = a->nrq;
	o->queue_size = a->nrq ? virtq_size(a->rq[0].vq) : 0;
	o->requests_per_queue = a->nrq ? a->rq[0].nreqs : 0;
	o->max_segments = a->nrq ? a->rq[0].max_segs : 0;
	o->max_transfer = a->max_transfer;
	o->dead = a->dead;
	for (unsigned i = 0; i < a->nrq; i++)
		o->in_flight += __atomic_load_n(&a->rq[i].inflight, __ATOMIC_RELAXED);
	o->commands = a->commands;
	o->errors = a->errors;
	o->aborts = a->aborts;
	o->lun_resets = a->lun_resets;
	o->nexus_resets = a->nexus_resets;
	o->device_resets = a->device_resets;
	o->event_repost_failures = a->event_repost_failures;
}
