/*
 * irq.c - how completions reach the driver: MSI-X (one vector per queue
 * plus one for config changes, or one shared queue vector), INTx (one
 * line, the ISR says why), or nothing at all (the caller polls).
 *
 * The host glue allocates interrupts (irq_attach); for MSI-X it returns
 * the message we program into the function's MSI-X table.
 */
#include "virtio/virtqueue.h"

void virtio_run_config_callback(struct virtio_device *dev)
{
	if (dev->config_cb)
		dev->config_cb(dev, dev->config_arg);
}

static void run_queue(struct virtqueue *vq)
{
	if (vq->callback && vq->live)
		vq->callback(vq, vq->cb_arg);
}

static void run_all_queues(struct virtio_device *dev)
{
	for (unsigned i = 0; i < dev->nvq; i++)
		run_queue(dev->vqs[i]);
}

void virtio_irq_dispatch_isr(struct virtio_device *dev, uint8_t isr)
{
	/* virtio 1.2 §4.1.4.5: bit 0 a queue (which one is not said: scan all), bit 1 a
	 * configuration change; one interrupt may carry both. */
	if (isr & 1)
		run_all_queues(dev);
	if (isr & 2)
		virtio_run_config_callback(dev);
}

static void on_queue_vector(void *arg)
{
	run_queue(arg);
}

static void on_shared_vector(void *arg)
{
	run_all_queues(arg);
}

static void on_config_vector(void *arg)
{
	virtio_run_config_callback(arg);
}

static void on_line(void *arg)
{
	struct virtio_device *dev = arg;
	/* Reading the ISR acknowledges the interrupt and de-asserts the line;
	 * 0 means it was another device on a shared line. */
	virtio_irq_dispatch_isr(dev, dev->ops->isr_read(dev));
}

static struct vscsi_irq_request line_request(struct virtio_device *dev)
{
	struct vscsi_irq_request r = { 0 };
	r.kind = VSCSI_IRQ_LINE;
	r.is_pci = dev->is_pci;
	if (dev->is_pci)
		r.pci = dev->t.pci.addr;
	else if (dev->kind == VIRTIO_TRANSPORT_MMIO)
		r.gsi = dev->t.mmio.gsi;
	r.handler = on_line;
	r.arg = dev;
	return r;
}

static int attach(struct virtio_device *dev, unsigned i, struct vscsi_irq_request r)
{
	dev->irqs[i].req = r;
	int rc = dev->glue->irq_attach(dev->glue->ctx, &dev->irqs[i].req);
	if (rc) {
		vs_log(dev->glue, VS_LOG_DEBUG, "virtio %s: host could not attach %s interrupt %u (%d)",
		       dev->location, r.kind == VSCSI_IRQ_MSI ? "MSI" : "line", i, rc);
		/* The host cannot route it: the mode is unsupported here (the
		 * caller falls back), the device is fine. */
		return -VSCSI_EOPNOTSUPP;
	}
	dev->irqs[i].attached = true;
	return 0;
}

static int setup_msix(struct virtio_device *dev, bool shared)
{
	unsigned n = shared ? 2 : dev->nvq + 1;
	if (!dev->ops->msix_setup || !dev->ops->msix_table_size)
		return -VSCSI_ENOSYS;
	unsigned table = dev->ops->msix_table_size(dev);
	if (table < n) /* virtio 1.2 §4.1.5.1.2: never map beyond the table */
		return -VSCSI_ENOSPC;
	dev->irqs = virtio_alloc(dev->glue, sizeof(*dev->irqs) * n);
	if (dev->irqs)
		dev->nirqs = n;
	uint64_t *addr = virtio_alloc(dev->glue, sizeof(uint64_t) * n);
	uint32_t *data = virtio_alloc(dev->glue, sizeof(uint32_t) * n);
	int rc = dev->irqs && addr && data ? 0 : -VSCSI_ENOMEM;
	for (unsigned i = 0; i < n && !rc; i++) {
		struct vscsi_irq_request r = { 0 };
		r.kind = VSCSI_IRQ_MSI;
		r.is_pci = dev->is_pci;
		if (dev->is_pci)
			r.pci = dev->t.pci.addr;
		if (i == VIRTIO_MSIX_CONFIG_ENTRY) {
			r.handler = on_config_vector;
			r.arg = dev;
		} else if (shared) {
			r.handler = on_shared_vector;
			r.arg = dev;
		} else {
			r.handler = on_queue_vector;
			r.arg = dev->vqs[i - 1];
		}
		rc = attach(dev, i, r);
		if (!rc) {
			addr[i] = dev->irqs[i].req.msi_address;
			data[i] = dev->irqs[i].req.msi_data;
		}
	}
	if (!rc)
		rc = dev->ops->msix_setup(dev, n, addr, data);
	virtio_free(dev->glue, addr, sizeof(uint64_t) * n);
	virtio_free(dev->glue, data, sizeof(uint32_t) * n);
	return rc;
}

int virtio_irq_setup(struct virtio_device *dev, enum virtio_intr_mode mode, bool shared)
{
	int rc = 0;
	dev->intr = mode;
	dev->msix_shared = mode == VIRTIO_INTR_MSIX && shared;
	switch (mode) {
	case VIRTIO_INTR_MSIX:
		if (!dev->glue->irq_attach)
			return -VSCSI_ENOSYS;
		rc = setup_msix(dev, dev->msix_shared);
		break;
	case VIRTIO_INTR_INTX:
		if (!dev->glue->irq_attach || !dev->ops->isr_read)
			return -VSCSI_ENOSYS;
		dev->irqs = virtio_alloc(dev->glue, sizeof(*dev->irqs));
		if (!dev->irqs)
			return -VSCSI_ENOMEM;
		dev->nirqs = 1;
		rc = attach(dev, 0, line_request(dev));
		break;
	default:
		dev->intr = VIRTIO_INTR_POLL;
		break;
	}
	if (rc) {
		virtio_irq_teardown(dev);
		dev->intr = mode;
		return rc;
	}
	/* A line interrupt nobody handles would storm: keep INTx masked at
	 * the function unless it is the chosen mode. */
	if (dev->is_pci)
		vpci_command(dev, dev->intr == VIRTIO_INTR_INTX ? 0 : PCI_COMMAND_INTX_DISABLE,
			     dev->intr == VIRTIO_INTR_INTX ? PCI_COMMAND_INTX_DISABLE : 0);
	return 0;
}

void virtio_irq_teardown(struct virtio_device *dev)
{
	if (dev->intr == VIRTIO_INTR_MSIX && dev->ops->msix_disable)
		dev->ops->msix_disable(dev);
	for (unsigned i = 0; i < dev->nirqs; i++) {
		if (dev->irqs[i].attached && dev->glue->irq_detach)
			dev->glue->irq_detach(dev->glue->ctx, &dev->irqs[i].req);
		dev->irqs[i].attached = false;
	}
	if (dev->irqs)
		virtio_free(dev->glue, dev->irqs, sizeof(*dev->irqs) * dev->nirqs);
	dev->irqs = NULL;
	dev->nirqs = 0;
	for (unsigned i = 0; i < dev->nvq; i++)
		if (dev->vqs && dev->vqs[i])
			dev->vqs[i]->vector = VIRTIO_NO_VECTOR;
}

uint16_t virtio_irq_queue_vector(const struct virtio_device *dev, unsigned idx)
{
	if (dev->intr != VIRTIO_INTR_MSIX)
		return VIRTIO_NO_VECTOR;
	return (uint16_t)(dev->msix_shared ? 1 : 1 + idx);
}
