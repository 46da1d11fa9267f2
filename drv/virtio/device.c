/*
 * device.c - attaching to a virtio device and the one initialisation
 * sequence of virtio 1.2 §3.1.1, written once for every transport:
 *
 *   1 reset (write 0, wait until status reads 0)    virtio_negotiate()
 *   2 ACKNOWLEDGE  3 DRIVER
 *   4 read offered features, write the accepted subset
 *   5 FEATURES_OK  6 read it back (modern only)
 *   7 queues and interrupts                          virtio_queues_create()
 *   8 DRIVER_OK                                      virtio_driver_ok()
 *
 * plus config-space reads under config_generation (virtio 1.2 §2.5.1), full reset
 * and re-initialisation, and polling.
 */
#include "virtio/virtqueue.h"

/* Feature bits that belong to the device type (virtio 1.2 §6: 0-23 and 50-127). */
#define DEVICE_SPECIFIC_MASK (0x0000000000ffffffull | (~0ull << 50))
/* Transport bits this layer implements. */
#define MODERN_BITS (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
		     VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_RING_PACKED) |    \
		     VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM))
#define LEGACY_BITS (VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
		     VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

#define CONFIG_READ_TRIES 64

/* --- creation ------------------------------------------------------------ */

static bool glue_ok(const struct vscsi_glue *g)
{
	return g && g->dma_alloc && g->dma_free && g->clock_ns && g->delay_us;
}

static struct virtio_device *new_device(const struct vscsi_glue *glue,
					const struct virtio_open_opts *opts)
{
	struct virtio_device *dev = virtio_alloc(glue, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->glue = glue;
	if (opts)
		dev->opts = *opts;
	dev->intr = VIRTIO_INTR_POLL;
	return dev;
}

static void free_device(struct virtio_device *dev)
{
	virtio_free(dev->glue, dev, sizeof(*dev));
}

int virtio_open_transport(const struct vscsi_glue *glue, const struct virtio_transport_ops *ops,
			  void *priv, enum virtio_transport_kind kind, const char *location,
			  uint32_t device_id, const struct virtio_open_opts *opts,
			  struct virtio_device **out)
{
	if (!glue_ok(glue) || !ops || !out)
		return -VSCSI_EINVAL;
	struct virtio_device *dev = new_device(glue, opts);
	if (!dev)
		return -VSCSI_ENOMEM;
	dev->ops = ops;
	dev->kind = kind;
	dev->transport_priv = priv;
	dev->device_id = device_id;
	vs_strlcpy(dev->location, location ? location : "sim", sizeof(dev->location));
	*out = dev;
	return 0;
}

void *virtio_transport_priv(const struct virtio_device *dev)
{
	return dev->transport_priv;
}

int virtio_pci_open(const struct vscsi_glue *glue, struct vscsi_pci_addr pci,
		    const struct virtio_open_opts *opts, struct virtio_device **out)
{
	if (!glue_ok(glue) || !glue->pci_cfg_read || !glue->pci_cfg_write || !out)
		return -VSCSI_EINVAL;
	struct virtio_device *dev = new_device(glue, opts);
	if (!dev)
		return -VSCSI_ENOMEM;
	struct virtio_pci_state *p = &dev->t.pci;
	dev->is_pci = true;
	p->addr = pci;
	vs_snprintf(dev->location, sizeof(dev->location), "%04x:%02x:%02x.%x", pci.segment,
		    pci.bus, pci.dev, pci.fn);
	p->vendor = (uint16_t)vpci_cfg_read(dev, 0x00, 2);
	p->device = (uint16_t)vpci_cfg_read(dev, 0x02, 2);
	p->revision = (uint8_t)vpci_cfg_read(dev, 0x08, 1);
	p->subsys_device = (uint16_t)vpci_cfg_read(dev, 0x2e, 2);
	/* virtio 1.2 §4.1.2: 0x1040 + type for modern devices; transitional devices
	 * (0x1000-0x103f) carry the type in the subsystem device ID. */
	if (p->vendor != PCI_VENDOR_VIRTIO || p->device < 0x1000 || p->device > 0x107f) {
		free_device(dev);
		return -VSCSI_ENODEV;
	}
	bool transitional = p->device < 0x1040;
	dev->device_id = transitional ? p->subsys_device : (uint32_t)(p->device - 0x1040);
	vpci_msix_probe(dev);

	int rc = -VSCSI_ENODEV;
	if (dev->opts.prefer_legacy) {
		if (transitional)
			rc = virtio_pci_legacy_probe(dev);
		if (rc)
			vs_log(glue, VS_LOG_INFO, "virtio %s: no legacy interface, using the modern one",
			       dev->location);
	}
	if (rc)
		rc = virtio_pci_modern_probe(dev);
	if (rc == -VSCSI_ENODEV && transitional && !dev->opts.prefer_legacy) {
		vs_log(glue, VS_LOG_INFO, "virtio %s: no usable modern capabilities, using legacy BAR0",
		       dev->location);
		rc = virtio_pci_legacy_probe(dev);
	}
	if (rc) {
		vs_log(glue, VS_LOG_ERR, "virtio %s (%04x:%04x rev %u): no usable transport: %s",
		       dev->location, p->vendor, p->device, p->revision, vscsi_strerror(rc));
		free_device(dev);
		return rc;
	}
	dev->kind = dev->ops->legacy ? VIRTIO_TRANSPORT_PCI_LEGACY : VIRTIO_TRANSPORT_PCI_MODERN;
	vs_log(glue, VS_LOG_INFO, "virtio %s: %04x:%04x rev %u, device type %u, %s", dev->location,
	       p->vendor, p->device, p->revision, dev->device_id, dev->ops->name);
	*out = dev;
	return 0;
}

int virtio_mmio_open(const struct vscsi_glue *glue, uint64_t phys, uint32_t gsi,
		     const struct virtio_open_opts *opts, struct virtio_device **out)
{
	if (!glue_ok(glue) || !out)
		return -VSCSI_EINVAL;
	struct virtio_device *dev = new_device(glue, opts);
	if (!dev)
		return -VSCSI_ENOMEM;
	dev->kind = VIRTIO_TRANSPORT_MMIO;
	dev->t.mmio.phys = phys;
	dev->t.mmio.gsi = gsi;
	vs_snprintf(dev->location, sizeof(dev->location), "mmio@0x%llx", (unsigned long long)phys);
	int rc = virtio_mmio_probe(dev);
	if (rc) {
		free_device(dev);
		return rc;
	}
	vs_log(glue, VS_LOG_INFO, "virtio %s: device type %u, %s", dev->location, dev->device_id,
	       dev->ops->name);
	*out = dev;
	return 0;
}

/* --- status and features -------------------------------------------- */

void virtio_add_status(struct virtio_device *dev, uint8_t bits)
{
	/* virtio 1.2 §2.1.1: the driver never clears a bit; the value it writes is
	 * everything it set so far plus the new bits. */
	uint8_t st = (uint8_t)((dev->ops->get_status(dev) & ~VIRTIO_STATUS_NEEDS_RESET) | bits);
	dev->ops->set_status(dev, st);
	dev->touched = true;
}

static void set_failed(struct virtio_device *dev)
{
	virtio_add_status(dev, VIRTIO_STATUS_FAILED);
}

static int device_reset(struct virtio_device *dev)
{
	dev->touched = true;
	dev->driver_ok = false;
	int rc = dev->ops->reset(dev);
	if (rc)
		vs_log(dev->glue, VS_LOG_ERR, "virtio %s: device did not complete its reset: %s",
		       dev->location, vscsi_strerror(rc));
	return rc;
}

/* Steps 1-3: reset, ACKNOWLEDGE, DRIVER. */
static int begin(struct virtio_device *dev)
{
	dev->negotiated = false;
	int rc = device_reset(dev);
	if (rc)
		return rc;
	virtio_add_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_add_status(dev, VIRTIO_STATUS_DRIVER);
	return 0;
}

/* Steps 4-6: write the accepted set, FEATURES_OK, read it back. */
static int finish(struct virtio_device *dev, uint64_t accept)
{
	dev->ops->set_features(dev, accept);
	if (!dev->ops->legacy) {
		/* virtio 1.2 §3.1.1 step 6: the device may refuse the subset; it says so
		 * by leaving FEATURES_OK clear (QEMU does when ACCESS_PLATFORM
		 * is offered and not accepted). */
		virtio_add_status(dev, VIRTIO_STATUS_FEATURES_OK);
		if (!(dev->ops->get_status(dev) & VIRTIO_STATUS_FEATURES_OK)) {
			vs_log(dev->glue, VS_LOG_ERR,
			       "virtio %s: device refused features 0x%llx (offered 0x%llx)",
			       dev->location, (unsigned long long)accept,
			       (unsigned long long)dev->offered);
			set_failed(dev);
			return -VSCSI_EIO;
		}
	}
	dev->features = accept;
	dev->negotiated = true;
	return 0;
}

/* Steps 1-6 again with the features negotiated before. */
static int run_features(struct virtio_device *dev, uint64_t accept)
{
	int rc = begin(dev);
	return rc ? rc : finish(dev, accept);
}

int virtio_negotiate(struct virtio_device *dev, uint64_t wanted)
{
	dev->wanted = wanted;
	int rc = begin(dev);
	if (rc)
		return rc;
	uint64_t offered = dev->ops->get_features(dev);
	if (dev->ops->legacy)
		offered &= 0xffffffffull; /* the legacy interfaces carry 32 bits */
	dev->offered = offered;

	/* virtio 1.2 §2.2 / §6: accept only bits we implement and the caller asked for
	 * among the device-type bits; never unknown bits, never bit 30
	 * (QEMU's historic "bad feature"), never what the caller vetoed. */
	uint64_t ours = dev->ops->legacy ? LEGACY_BITS : MODERN_BITS;
	uint64_t accept = offered & (ours | (wanted & DEVICE_SPECIFIC_MASK));
	accept &= ~dev->opts.feature_veto;
	if (!dev->ops->legacy) {
		/* virtio 1.2 §6.1: VERSION_1 MUST be accepted; a modern transport without
		 * it would be a legacy device in disguise. */
		if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
			vs_log(dev->glue, VS_LOG_ERR,
			       "virtio %s: device does not offer VIRTIO_F_VERSION_1 (features 0x%llx)",
			       dev->location, (unsigned long long)offered);
			set_failed(dev);
			return -VSCSI_EIO;
		}
		accept |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	}
	if (dev->opts.feature_veto & offered & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM))
		vs_log(dev->glue, VS_LOG_WARN,
		       "virtio %s: ACCESS_PLATFORM offered but vetoed; the device may refuse",
		       dev->location);
	rc = finish(dev, accept);
	if (!rc)
		vs_log(dev->glue, VS_LOG_DEBUG, "virtio %s: features offered 0x%llx, accepted 0x%llx",
		       dev->location, (unsigned long long)offered, (unsigned long long)accept);
	return rc;
}

uint64_t virtio_offered_features(const struct virtio_device *dev)
{
	return dev->offered;
}

uint64_t virtio_features(const struct virtio_device *dev)
{
	return dev->features;
}

/* --- device configuration space --------------------------------------- */

int virtio_config_read(struct virtio_device *dev, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *out = buf;
	/* virtio 1.2 §2.5.1 / §4.1.3.1: read under an unchanged config_generation; each
	 * field with its natural width (32-bit pieces for anything larger). */
	for (int tries = 0; tries < CONFIG_READ_TRIES; tries++) {
		uint32_t before = dev->ops->config_generation(dev);
		for (uint32_t i = 0; i < len;) {
			uint32_t o = off + i, left = len - i;
			unsigned w = (!(o & 3) && left >= 4) ? 4 : (!(o & 1) && left >= 2) ? 2 : 1;
			uint32_t v = dev->ops->config_read(dev, o, w);
			if (w == 4)
				vs_put_le32(out + i, v);
			else if (w == 2)
				vs_put_le16(out + i, (uint16_t)v);
			else
				out[i] = (uint8_t)v;
			i += w;
		}
		if (dev->ops->config_generation(dev) == before)
			return 0;
	}
	vs_log(dev->glue, VS_LOG_ERR, "virtio %s: config generation changed on each of %d reads",
	       dev->location, CONFIG_READ_TRIES);
	return -VSCSI_EPROTO;
}

void virtio_config_write32(struct virtio_device *dev, uint32_t off, uint32_t v)
{
	dev->ops->config_write(dev, off, 4, v);
}

/* --- queues and interrupts --------------------------------------------- */

static uint16_t round_down_pow2(uint32_t v)
{
	uint32_t p = 1;
	while (p * 2 <= v)
		p *= 2;
	return (uint16_t)p;
}

static int choose_size(struct virtio_device *dev, unsigned idx, uint16_t max, uint16_t want,
		       bool packed, uint16_t *size)
{
	bool fixed = dev->ops->fixed_queue_size;
	bool pow2 = (max & (max - 1)) == 0;
	if (max > VIRTQ_MAX_SIZE && fixed) {
		vs_log(dev->glue, VS_LOG_ERR, "virtio %s: queue %u size %u exceeds 32768",
		       dev->location, idx, max);
		return -VSCSI_EPROTO;
	}
	if (max > VIRTQ_MAX_SIZE)
		max = VIRTQ_MAX_SIZE;
	if (fixed) {
		/* Legacy PCI has no way to negotiate the queue size
		 * (virtio 1.2 §4.1.5.1.3.1): allocate all of it.  Split rings need a power of 2. */
		if (!packed && !pow2) {
			vs_log(dev->glue, VS_LOG_ERR,
			       "virtio %s: queue %u has size %u, not a power of 2", dev->location,
			       idx, max);
			return -VSCSI_EPROTO;
		}
		*size = max;
		return 0;
	}
	uint16_t s = max;
	if (want && want < s)
		s = want;
	if (!packed)
		s = round_down_pow2(s); /* virtio 1.2 §2.7: split queue sizes are powers of 2 */
	*size = s;
	return 0;
}

/* Program every queue's address, size and vector and enable it.  A vector
 * the device would not take is a "soft" failure: another interrupt mode
 * may still work. */
static int program_queues(struct virtio_device *dev, bool *soft)
{
	*soft = false;
	if (dev->intr == VIRTIO_INTR_MSIX) {
		/* virtio 1.2 §4.1.5.1.2: the driver MUST read the vector back; NO_VECTOR
		 * means the device could not allocate it. */
		int rc = dev->ops->set_config_vector(dev, VIRTIO_MSIX_CONFIG_ENTRY);
		if (rc) {
			*soft = true;
			return rc;
		}
	}
	for (unsigned i = 0; i < dev->nvq; i++) {
		struct virtqueue *vq = dev->vqs[i];
		vq->vector = virtio_irq_queue_vector(dev, i);
		int rc = dev->ops->queue_setup(dev, (uint16_t)i, vq->size, vq->desc_bus,
					       vq->driver_bus, vq->device_bus, vq->vector);
		if (rc) {
			*soft = dev->intr == VIRTIO_INTR_MSIX && rc == -VSCSI_EIO;
			if (!*soft)
				vs_log(dev->glue, VS_LOG_ERR, "virtio %s: queue %u setup failed: %s",
				       dev->location, i, vscsi_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static const char *mode_name(enum virtio_intr_mode m, bool shared)
{
	switch (m) {
	case VIRTIO_INTR_MSIX:
		return shared ? "MSI-X (shared queue vector)" : "MSI-X";
	case VIRTIO_INTR_INTX:
		return "INTx";
	case VIRTIO_INTR_POLL:
		return "polling";
	default:
		return "auto";
	}
}

static bool can_msix(struct virtio_device *dev)
{
	return dev->glue->irq_attach && dev->ops->msix_setup && dev->ops->msix_table_size &&
	       dev->ops->msix_table_size(dev) >= 2;
}

/* Interrupt setup and queue programming, falling back MSI-X (one vector
 * per queue) -> MSI-X (shared) -> INTx -> polling.  `held`: the
 * interrupts of `mode` are already set up (re-initialisation). */
static int bring_up(struct virtio_device *dev, enum virtio_intr_mode mode, bool shared, bool held)
{
	for (;;) {
		bool soft = false;
		int rc = 0;
		if (!held) {
			rc = virtio_irq_setup(dev, mode, shared);
			soft = rc != 0;
		}
		if (!rc)
			rc = program_queues(dev, &soft);
		if (!rc) {
			for (unsigned i = 0; i < dev->nvq; i++)
				dev->vqs[i]->live = true;
			vs_log(dev->glue, VS_LOG_INFO, "virtio %s: %u queue(s), %s, %s ring%s%s",
			       dev->location, dev->nvq, mode_name(dev->intr, dev->msix_shared),
			       virtio_has(dev, VIRTIO_F_RING_PACKED) ? "packed" : "split",
			       virtio_has(dev, VIRTIO_F_INDIRECT_DESC) ? ", indirect" : "",
			       virtio_has(dev, VIRTIO_F_EVENT_IDX) ? ", event-idx" : "");
			return 0;
		}
		virtio_irq_teardown(dev);
		held = false;
		if (!soft || mode == VIRTIO_INTR_POLL)
			return rc;
		enum virtio_intr_mode next = VIRTIO_INTR_POLL;
		bool next_shared = false;
		if (mode == VIRTIO_INTR_MSIX && !shared && dev->nvq > 1)
			next = VIRTIO_INTR_MSIX, next_shared = true;
		else if (mode != VIRTIO_INTR_INTX && dev->glue->irq_attach)
			next = VIRTIO_INTR_INTX;
		vs_log(dev->glue, VS_LOG_WARN, "virtio %s: %s interrupts unavailable (%s); trying %s",
		       dev->location, mode_name(mode, shared), vscsi_strerror(rc),
		       mode_name(next, next_shared));
		mode = next;
		shared = next_shared;
		/* Queues already programmed with vectors are undone by a reset;
		 * then the whole sequence runs again (virtio 1.2 §3.1.1). */
		rc = run_features(dev, dev->features);
		if (rc)
			return rc;
	}
}

int virtio_queues_create(struct virtio_device *dev, unsigned n, const struct virtq_request *req)
{
	if (!dev->negotiated || dev->vqs || n == 0 || n > 0xffff || !req)
		return -VSCSI_EINVAL;
	uint16_t avail = dev->ops->queue_count(dev);
	if (avail && n > avail) {
		vs_log(dev->glue, VS_LOG_ERR, "virtio %s: %u queues wanted, the device has %u",
		       dev->location, n, avail);
		return -VSCSI_ENODEV;
	}
	dev->vqs = virtio_alloc(dev->glue, sizeof(*dev->vqs) * n);
	if (!dev->vqs)
		return -VSCSI_ENOMEM;
	bool packed = virtio_has(dev, VIRTIO_F_RING_PACKED);
	int rc = 0;
	for (unsigned i = 0; i < n && !rc; i++) {
		uint16_t max = dev->ops->queue_max_size(dev, (uint16_t)i), size = 0;
		if (!max) {
			vs_log(dev->glue, VS_LOG_ERR, "virtio %s: queue %u does not exist",
			       dev->location, i);
			rc = -VSCSI_ENODEV;
			break;
		}
		rc = choose_size(dev, i, max, req[i].max_size, packed, &size);
		if (!rc)
			rc = virtq_create(dev, (uint16_t)i, size, packed, &req[i], &dev->vqs[i]);
	}
	dev->nvq = n;
	if (!rc) {
		enum virtio_intr_mode mode = dev->opts.intr;
		if (mode == VIRTIO_INTR_AUTO || mode == VIRTIO_INTR_MSIX)
			mode = can_msix(dev) ? VIRTIO_INTR_MSIX
			       : dev->glue->irq_attach ? VIRTIO_INTR_INTX : VIRTIO_INTR_POLL;
		if (mode == VIRTIO_INTR_INTX && !dev->glue->irq_attach)
			mode = VIRTIO_INTR_POLL;
		bool shared = mode == VIRTIO_INTR_MSIX && dev->ops->msix_table_size(dev) < n + 1;
		rc = bring_up(dev, mode, shared, false);
	}
	if (rc) {
		for (unsigned i = 0; i < n; i++)
			virtq_destroy(dev->vqs[i]);
		virtio_free(dev->glue, dev->vqs, sizeof(*dev->vqs) * n);
		dev->vqs = NULL;
		dev->nvq = 0;
		/* Queues may have been half programmed: reset and negotiate the
		 * same features again so that the caller may retry (with fewer
		 * queues, say); give up only if even that fails. */
		virtio_irq_teardown(dev);
		if (run_features(dev, dev->features))
			set_failed(dev);
	}
	return rc;
}

int virtio_wait_reset_done(struct virtio_device *dev)
{
	/* virtio 1.2 §4.1.4.3.2 (and §2.4 for every transport): writing 0 starts the
	 * reset, which may complete asynchronously; the driver waits until a
	 * read of the status returns 0 before touching the device again. */
	uint64_t start = dev->glue->clock_ns(dev->glue->ctx);
	while (dev->ops->get_status(dev) != 0) {
		if (dev->glue->clock_ns(dev->glue->ctx) - start > VIRTIO_RESET_TIMEOUT_NS)
			return -VSCSI_ETIMEDOUT;
		dev->glue->delay_us(dev->glue->ctx, 10);
	}
	return 0;
}

void virtio_driver_ok(struct virtio_device *dev)
{
	virtio_add_status(dev, VIRTIO_STATUS_DRIVER_OK);
	dev->driver_ok = true;
	dev->reset_done = false;
	for (unsigned i = 0; i < dev->nvq; i++) {
		/* Nobody listens for used-buffer notifications in polling
		 * mode: suppress them (virtio 1.2 §2.7.10 / §2.8.10), so the device does
		 * not raise an interrupt for every completion. */
		if (dev->intr == VIRTIO_INTR_POLL)
			virtq_disable_cb(dev->vqs[i]);
		/* Buffers published before DRIVER_OK were not announced (virtio 1.2 §3.1.1). */
		virtq_flush_deferred_kick(dev->vqs[i]);
	}
}

void virtio_set_config_callback(struct virtio_device *dev,
				void (*cb)(struct virtio_device *, void *), void *arg)
{
	dev->config_cb = cb;
	dev->config_arg = arg;
}

/* --- reset, re-initialisation, teardown -------------------------------- */

int virtio_reset(struct virtio_device *dev)
{
	int rc = device_reset(dev);
	if (rc)
		return rc; /* the device may still own the rings: no reclaim */
	dev->reset_done = true;
	for (unsigned i = 0; i < dev->nvq; i++)
		dev->vqs[i]->live = false;
	return 0;
}

int virtio_reinit(struct virtio_device *dev)
{
	if (!dev->negotiated && !dev->reset_done)
		return -VSCSI_EINVAL;
	if (!dev->reset_done) {
		int rc = virtio_reset(dev);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < dev->nvq; i++) {
		struct virtqueue *vq = dev->vqs[i];
		unsigned left = 0;
		for (unsigned s = 0; s < vq->size; s++)
			left += vq->slots[s].state != VQ_SLOT_FREE;
		if (left)
			vs_log(dev->glue, VS_LOG_WARN,
			       "virtio %s: queue %u: %u buffers were not reclaimed before re-init",
			       dev->location, i, left);
		virtq_reset_state(vq);
	}
	int rc = run_features(dev, dev->features);
	if (!rc && dev->nvq)
		rc = bring_up(dev, dev->intr, dev->msix_shared, true);
	if (rc) {
		set_failed(dev);
		return rc;
	}
	virtio_driver_ok(dev);
	return 0;
}

bool virtio_stop_dma(struct virtio_device *dev)
{
	if (dev->dma_stopped)
		return true;
	bool ok = dev->ops->stop_dma && dev->ops->stop_dma(dev);
	dev->dma_stopped = ok;
	if (ok)
		vs_log(dev->glue, VS_LOG_ERR, "virtio %s: bus mastering turned off: the device can "
		       "no longer reach memory", dev->location);
	else
		vs_log(dev->glue, VS_LOG_ERR, "virtio %s: %s transport cannot stop the device's "
		       "DMA: buffers it holds may still be written", dev->location, dev->ops->name);
	return ok;
}

bool virtio_dma_stopped(const struct virtio_device *dev)
{
	return dev->dma_stopped;
}

int virtio_close(struct virtio_device *dev)
{
	if (!dev)
		return 0;
	/* Stop all DMA before any memory goes back (virtio 1.2 §3.3.1). */
	int rc = dev->touched ? device_reset(dev) : 0;
	if (rc) {
		/* The device still owns its rings (and the indirect tables
		 * they point to): they are never freed or reused, whatever
		 * happens to the rest.  Its DMA is turned off where the
		 * transport can. */
		virtio_stop_dma(dev);
		size_t kept = 0;
		for (unsigned i = 0; i < dev->nvq; i++)
			kept += virtq_abandon(dev->vqs[i]);
		vs_log(dev->glue, VS_LOG_ERR,
		       "virtio %s: closed without a reset: keeping %zu bytes of ring memory the "
		       "device may still write", dev->location, kept);
	}
	virtio_irq_teardown(dev);
	for (unsigned i = 0; i < dev->nvq; i++)
		virtq_destroy(dev->vqs[i]);
	if (dev->vqs)
		virtio_free(dev->glue, dev->vqs, sizeof(*dev->vqs) * dev->nvq);
	free_device(dev);
	return rc;
}

/* --- state and polling ----------------------------------------------- */

uint8_t virtio_status(struct virtio_device *dev)
{
	return dev->ops->get_status(dev);
}

bool virtio_needs_reset(struct virtio_device *dev)
{
	return dev->ops->get_status(dev) & VIRTIO_STATUS_NEEDS_RESET;
}

void virtio_poll(struct virtio_device *dev)
{
	/* With MSI-X the ISR is not used (virtio 1.2 §4.1.5.3); elsewhere it tells
	 * about config changes (bit 1) and is cleared by the read.  Reading
	 * it is a trip into the device model, which under emulation competes
	 * with the device's own request processing: a polling driver looks
	 * at most once per millisecond (config changes and NEEDS_RESET are
	 * noticed that much later; used buffers are seen at once). */
	if (dev->intr != VIRTIO_INTR_MSIX && dev->ops->isr_read) {
		bool look = true;
		if (dev->intr == VIRTIO_INTR_POLL && dev->glue->clock_ns) {
			uint64_t now = dev->glue->clock_ns(dev->glue->ctx);
			look = now >= dev->next_isr_poll_ns;
			if (look)
				dev->next_isr_poll_ns = now + 1000000;
		}
		if (look && (dev->ops->isr_read(dev) & 2))
			virtio_run_config_callback(dev);
	}
	for (unsigned i = 0; i < dev->nvq; i++) {
		struct virtqueue *vq = dev->vqs[i];
		if (vq->callback && virtq_has_used(vq))
			vq->callback(vq, vq->cb_arg);
	}
}

enum virtio_transport_kind virtio_transport(const struct virtio_device *dev)
{
	return dev->kind;
}

const char *virtio_transport_name(const struct virtio_device *dev)
{
	return dev->ops->name;
}

enum virtio_intr_mode virtio_intr_mode(const struct virtio_device *dev)
{
	return dev->intr;
}

unsigned virtio_queue_count(const struct virtio_device *dev)
{
	return dev->nvq;
}

unsigned virtio_device_queue_count(struct virtio_device *dev, unsigned max)
{
	/* The transport's count where it has one (modern PCI num_queues);
	 * else (legacy PCI, MMIO) the queues whose maximum size is not 0,
	 * asked one by one as virtio 1.2 §4.1.5.1.3 and §4.2.3.2 allow. */
	uint16_t n = dev->ops->queue_count(dev);
	if (n)
		return n < max ? n : max;
	unsigned i = 0;
	while (i < max && dev->ops->queue_max_size(dev, (uint16_t)i))
		i++;
	return i;
}

struct virtqueue *virtio_queue(struct virtio_device *dev, unsigned idx)
{
	return idx < dev->nvq ? dev->vqs[idx] : NULL;
}

const struct vscsi_glue *virtio_glue(const struct virtio_device *dev)
{
	return dev->glue;
}

const char *virtio_location(const struct virtio_device *dev)
{
	return dev->location;
}

uint32_t virtio_device_id(const struct virtio_device *dev)
{
	return dev->device_id;
}
