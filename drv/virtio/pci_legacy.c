/*
 * pci_legacy.c - the legacy (virtio 0.9.5) interface of a transitional
 * PCI device (1af4:1000-103f, revision 0, subsystem ID = device type):
 * the register header in I/O BAR0, virtio 1.2 §4.1.4.10.
 *
 * Differences from modern, all kept inside this file: 32 feature bits, no
 * FEATURES_OK, guest-endian registers and config, a queue size the driver
 * cannot change, one contiguous ring with the used ring 4096-aligned
 * (virtio 1.2 §2.7.2), addressed by page frame number (virtio 1.2 §4.1.5.1.3.1).
 */
#include "virtio/virtqueue.h"

#define L_HOST_FEATURES 0x00
#define L_GUEST_FEATURES 0x04
#define L_QUEUE_PFN 0x08
#define L_QUEUE_SIZE 0x0c
#define L_QUEUE_SEL 0x0e
#define L_QUEUE_NOTIFY 0x10
#define L_STATUS 0x12
#define L_ISR 0x13
#define L_MSIX_CONFIG 0x14 /* only while MSI-X is enabled */
#define L_MSIX_QUEUE 0x16
#define L_CONFIG 20        /* 24 while MSI-X is enabled */
#define L_CONFIG_MSIX 24
#define PFN_SHIFT 12

static uint16_t port(struct virtio_device *dev, uint16_t off)
{
	return (uint16_t)(dev->t.pci.io_base + off);
}
static uint8_t r8(struct virtio_device *dev, uint16_t off)
{
	return dev->glue->pio_read8(dev->glue->ctx, port(dev, off));
}
static uint16_t r16(struct virtio_device *dev, uint16_t off)
{
	return dev->glue->pio_read16(dev->glue->ctx, port(dev, off));
}
static uint32_t r32(struct virtio_device *dev, uint16_t off)
{
	return dev->glue->pio_read32(dev->glue->ctx, port(dev, off));
}
static void w8(struct virtio_device *dev, uint16_t off, uint8_t v)
{
	dev->glue->pio_write8(dev->glue->ctx, port(dev, off), v);
}
static void w16(struct virtio_device *dev, uint16_t off, uint16_t v)
{
	dev->glue->pio_write16(dev->glue->ctx, port(dev, off), v);
}
static void w32(struct virtio_device *dev, uint16_t off, uint32_t v)
{
	dev->glue->pio_write32(dev->glue->ctx, port(dev, off), v);
}

/* The device-specific config moves by 4 bytes while MSI-X is on (virtio 1.2 §4.1.4.10). */
static uint16_t config_base(struct virtio_device *dev)
{
	return dev->t.pci.msix_enabled ? L_CONFIG_MSIX : L_CONFIG;
}

static uint8_t legacy_get_status(struct virtio_device *dev)
{
	return r8(dev, L_STATUS);
}

static void legacy_set_status(struct virtio_device *dev, uint8_t s)
{
	w8(dev, L_STATUS, s);
}

static int legacy_reset(struct virtio_device *dev)
{
	w8(dev, L_STATUS, 0);
	return virtio_wait_reset_done(dev);
}

static uint64_t legacy_get_features(struct virtio_device *dev)
{
	return r32(dev, L_HOST_FEATURES);
}

static void legacy_set_features(struct virtio_device *dev, uint64_t f)
{
	w32(dev, L_GUEST_FEATURES, (uint32_t)f);
}

static uint32_t legacy_config_read(struct virtio_device *dev, uint32_t off, unsigned width)
{
	if (off > 0xff)
		return 0;
	uint16_t o = (uint16_t)(config_base(dev) + off);
	return width == 1 ? r8(dev, o) : width == 2 ? r16(dev, o) : r32(dev, o);
}

static void legacy_config_write(struct virtio_device *dev, uint32_t off, unsigned width, uint32_t v)
{
	if (off > 0xff)
		return;
	uint16_t o = (uint16_t)(config_base(dev) + off);
	if (width == 1)
		w8(dev, o, (uint8_t)v);
	else if (width == 2)
		w16(dev, o, (uint16_t)v);
	else
		w32(dev, o, v);
}

static uint32_t legacy_config_generation(struct virtio_device *dev)
{
	(void)dev;
	return 0; /* legacy has none; a torn read cannot be detected */
}

static uint16_t legacy_queue_count(struct virtio_device *dev)
{
	(void)dev;
	return 0;
}

static uint16_t legacy_queue_max_size(struct virtio_device *dev, uint16_t idx)
{
	w16(dev, L_QUEUE_SEL, idx);
	return r16(dev, L_QUEUE_SIZE);
}

static int legacy_queue_setup(struct virtio_device *dev, uint16_t idx, uint16_t size,
			      uint64_t desc, uint64_t driver, uint64_t device, uint16_t vector)
{
	w16(dev, L_QUEUE_SEL, idx);
	uint16_t fixed = r16(dev, L_QUEUE_SIZE);
	if (size != fixed || (desc & (VIRTQ_LEGACY_ALIGN - 1)) ||
	    driver != desc + vq_split_avail_off(size) || device != desc + vq_split_used_off(size) ||
	    (desc >> PFN_SHIFT) > 0xffffffffull) {
		vs_log(dev->glue, VS_LOG_ERR,
		       "virtio %s: queue %u: ring layout not usable by the legacy interface",
		       dev->location, idx);
		return -VSCSI_EINVAL;
	}
	if (dev->t.pci.msix_enabled) {
		w16(dev, L_MSIX_QUEUE, vector);
		if (r16(dev, L_MSIX_QUEUE) != vector)
			return -VSCSI_EIO;
	}
	/* Writing the page frame number activates the queue. */
	w32(dev, L_QUEUE_PFN, (uint32_t)(desc >> PFN_SHIFT));
	return 0;
}

static void legacy_queue_notify(struct virtio_device *dev, struct virtqueue *vq)
{
	w16(dev, L_QUEUE_NOTIFY, vq->index);
}

static uint8_t legacy_isr_read(struct virtio_device *dev)
{
	return r8(dev, L_ISR);
}

static int legacy_set_config_vector(struct virtio_device *dev, uint16_t vector)
{
	if (!dev->t.pci.msix_enabled)
		return -VSCSI_EIO;
	w16(dev, L_MSIX_CONFIG, vector);
	return r16(dev, L_MSIX_CONFIG) == vector ? 0 : -VSCSI_EIO;
}

static const struct virtio_transport_ops legacy_ops = {
	.name = "pci-legacy",
	.get_status = legacy_get_status,
	.set_status = legacy_set_status,
	.reset = legacy_reset,
	.get_features = legacy_get_features,
	.set_features = legacy_set_features,
	.config_read = legacy_config_read,
	.config_write = legacy_config_write,
	.config_generation = legacy_config_generation,
	.queue_count = legacy_queue_count,
	.queue_max_size = legacy_queue_max_size,
	.queue_setup = legacy_queue_setup,
	.queue_notify = legacy_queue_notify,
	.isr_read = legacy_isr_read,
	.set_config_vector = legacy_set_config_vector,
	.msix_setup = vpci_msix_setup,
	.msix_disable = vpci_msix_disable,
	.msix_table_size = vpci_msix_table_size,
	.stop_dma = vpci_stop_dma,
	.legacy = true,
	.fixed_queue_size = true,
};

int virtio_pci_legacy_probe(struct virtio_device *dev)
{
	const struct vscsi_glue *g = dev->glue;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	/* Rings are written little-endian; legacy wants guest-endian. */
	(void)g;
	return -VSCSI_ENOSYS;
#else
	if (!g->pio_read8 || !g->pio_read16 || !g->pio_read32 || !g->pio_write8 ||
	    !g->pio_write16 || !g->pio_write32)
		return -VSCSI_ENODEV;
	uint16_t io = vpci_bar_io(dev, 0);
	if (!io)
		return -VSCSI_ENODEV;
	dev->t.pci.io_base = io;
	/* I/O decoding for BAR0, memory for the MSI-X table, bus mastering. */
	vpci_command(dev, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	dev->ops = &legacy_ops;
	return 0;
#endif
}
