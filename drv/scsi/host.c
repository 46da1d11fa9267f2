/*
 * host.c - SCSI hosts: the public calls that probe and remove a
 * controller, poll it, list controllers and describe them, reset them and
 * send task management functions.  A controller is a virtio-scsi host
 * adapter (drv/virtio_scsi) registered as a host with a number in probe
 * order (host0, host1 ...) and scanned once attached.
 *
 *   vs_probe_device   attach the adapter (virtio 1.2 §3.1.1, §5.6), register, scan
 *   vscsi_remove      reset, fail what is outstanding, LUNs gone, free (virtio 1.2 §3.3.1)
 *   vscsi_poll        service the adapter, then act on its events (virtio 1.2 §5.6.6.3)
 *   vscsi_tmf, vscsi_an_*   the control queue (virtio 1.2 §5.6.6.2), via the adapter
 */
#include "scsi/internal.h"

struct vscsi_ctrl *vs_ctrl_list;
void (*vs_ctrl_remove_hook)(struct vscsi_ctrl *c);

#define DEFAULT_TIMEOUT_MS 30000u

void vscsi_opts_default(struct vscsi_opts *o)
{
	vs_memset(o, 0, sizeof(*o));
	o->intr = VSCSI_INTR_AUTO;
	o->scan_max_target = 0xffffffffu;
	o->scan_max_lun = 0xffffffffu;
}

uint32_t vs_timeout_ms(const struct vscsi_ctrl *c, uint32_t ms)
{
	if (ms)
		return ms;
	return c->opts.cmd_timeout_ms ? c->opts.cmd_timeout_ms : DEFAULT_TIMEOUT_MS;
}

static void free_ctrl(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	vs_lun_free_all(c);
	if (c->lock && g->lock_destroy)
		g->lock_destroy(g->ctx, c->lock);
	g->dma_free(g->ctx, c, sizeof(*c));
}

/* Append to the global list: host numbers follow probe order. */
static void register_host(struct vscsi_ctrl *c)
{
	unsigned host = 0;
	struct vscsi_ctrl **pp = &vs_ctrl_list;
	while (*pp) {
		if ((*pp)->host >= host)
			host = (*pp)->host + 1;
		pp = &(*pp)->next;
	}
	c->host = host;
	*pp = c;
	vs_adapter_set_host(c->adapter, host);
}

/* One line per controller: what was negotiated and what is used. */
static void announce_host(const struct vscsi_ctrl *c)
{
	struct vscsi_ctrl_info ci;
	vs_adapter_get_info(c->adapter, &ci);
	vs_log(c->glue, VS_LOG_INFO,
	       "vscsi host%u: %s %s, %s interrupts, features %#llx, %u request queue(s) x %u, "
	       "seg_max %u, max_sectors %u, cmd_per_lun %u, max_target %u, max_lun %u",
	       c->host, ci.transport, ci.location,
	       ci.intr == VSCSI_INTR_MSIX   ? "MSI-X"
	       : ci.intr == VSCSI_INTR_INTX ? "INTx"
					    : "no",
	       (unsigned long long)ci.features, ci.request_queues, ci.requests_per_queue,
	       ci.seg_max, ci.max_sectors, ci.cmd_per_lun, ci.max_target, ci.max_lun);
}

int vs_probe_device(const struct vscsi_glue *glue, struct virtio_device *dev,
		    const struct vscsi_opts *opts, struct vscsi_ctrl **out)
{
	uint64_t bus;
	struct vscsi_ctrl *c = glue->dma_alloc(glue->ctx, sizeof(*c), 64, &bus);
	if (!c) {
		vs_adapter_close(dev);
		return -VSCSI_ENOMEM;
	}
	c->glue = glue;
	if (opts)
		c->opts = *opts;
	else
		vscsi_opts_default(&c->opts);
	c->lock = vs_lock_create(glue);

	/* On failure the adapter has closed the device already. */
	int r = vs_adapter_attach(glue, dev, &c->opts, &c->adapter);
	if (r < 0) {
		free_ctrl(c);
		return r;
	}
	register_host(c);
	announce_host(c);
	if (out)
		*out = c;
	if (!c->opts.no_scan)
		vs_scan(c);
	return 0;
}

int vscsi_probe_pci(const struct vscsi_glue *glue, struct vscsi_pci_addr pci,
		    const struct vscsi_opts *opts, struct vscsi_ctrl **out)
{
	struct virtio_device *dev;
	int r = vs_adapter_open_pci(glue, pci, opts, &dev);
	if (r < 0)
		return r;
	return vs_probe_device(glue, dev, opts, out);
}

int vscsi_probe_mmio(const struct vscsi_glue *glue, uint64_t phys, uint32_t gsi,
		     const struct vscsi_opts *opts, struct vscsi_ctrl **out)
{
	struct virtio_device *dev;
	int r = vs_adapter_open_mmio(glue, phys, gsi, opts, &dev);
	if (r < 0)
		return r;
	return vs_probe_device(glue, dev, opts, out);
}

void vscsi_remove(struct vscsi_ctrl *c)
{
	if (!c)
		return;
	/* The block layer's last word while the controller still works and
	 * is still polled (it flushes write caches). */
	if (vs_ctrl_remove_hook && !vs_adapter_is_dead(c->adapter))
		vs_ctrl_remove_hook(c);
	for (struct vscsi_ctrl **pp = &vs_ctrl_list; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	/* The device first (its outstanding commands fail with ENODEV), then
	 * the LUNs are gone, then everything is freed. */
	vs_adapter_stop(c->adapter);
	for (struct vscsi_lun *l = c->luns; l; l = l->next)
		if (!l->info.gone)
			vs_lun_mark_gone(l);
	vs_adapter_destroy(c->adapter);
	free_ctrl(c);
}

int vscsi_ctrl_reset(struct vscsi_ctrl *c)
{
	if (!c || vs_adapter_is_dead(c->adapter))
		return -VSCSI_ENODEV;
	return vs_adapter_reset(c->adapter, -VSCSI_ECONNRESET);
}

void vscsi_poll(struct vscsi_ctrl *c)
{
	if (!c || vs_adapter_is_dead(c->adapter))
		return;
	vs_adapter_poll(c->adapter);
	vs_check_deadlines(c);
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
	vs_adapter_get_info(c->adapter, o);
	o->host = c->host;
	o->timeouts = c->timeouts;
	o->events = c->events;
	o->events_missed = c->events_missed;
	o->rescans = c->rescans;
	o->last_scan_ns = c->last_scan_ns;
}

int vscsi_tmf(struct vscsi_ctrl *c, unsigned target, unsigned lun, enum vscsi_tmf tmf,
	      uint64_t tag, uint32_t timeout_ms, uint8_t *response)
{
	if (!c)
		return -VSCSI_EINVAL;
	return vs_adapter_tmf(c->adapter, target, lun, tmf, tag, timeout_ms, response);
}

int vscsi_an_query(struct vscsi_ctrl *c, unsigned target, unsigned lun, uint32_t events,
		   uint32_t *actual, uint8_t *response)
{
	if (!c)
		return -VSCSI_EINVAL;
	return vs_adapter_an(c->adapter, false, target, lun, events, actual, response);
}

int vscsi_an_subscribe(struct vscsi_ctrl *c, unsigned target, unsigned lun, uint32_t events,
		       uint32_t *actual, uint8_t *response)
{
	if (!c)
		return -VSCSI_EINVAL;
	return vs_adapter_an(c->adapter, true, target, lun, events, actual, response);
}
