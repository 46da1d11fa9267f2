/*
 * pci_modern.c - the virtio 1.x PCI transport (virtio 1.2 §4.1): vendor
 * capabilities locate the common configuration, notification, ISR and
 * device configuration structures inside memory BARs.
 *
 * virtio 1.2 §4.1.3.1: 8-bit fields are accessed with 8-bit accesses, 16-bit fields
 * with aligned 16-bit accesses, 32- and 64-bit fields with aligned 32-bit
 * accesses (a 64-bit field as two halves, low first).
 */
#include "virtio/virtqueue.h"

/* struct virtio_pci_cap (virtio 1.2 §4.1.4) */
#define CAP_LEN 2
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULT 16

enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4 };

/* struct virtio_pci_common_cfg (virtio 1.2 §4.1.4.3) */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_MSIX_CONFIG 0x10
#define C_NUM_QUEUES 0x12
#define C_STATUS 0x14
#define C_CFG_GENERATION 0x15
#define C_Q_SELECT 0x16
#define C_Q_SIZE 0x18
#define C_Q_MSIX_VECTOR 0x1a
#define C_Q_ENABLE 0x1c
#define C_Q_NOFF 0x1e
#define C_Q_DESCLO 0x20
#define C_Q_DESCHI 0x24
#define C_Q_AVAILLO 0x28
#define C_Q_AVAILHI 0x2c
#define C_Q_USEDLO 0x30
#define C_Q_USEDHI 0x34
#define COMMON_MIN_LEN 0x38 /* the virtio 1.0/1.1 structure */

/* Largest window we map for one structure (page-per-vq notify regions of
 * many queues are the biggest legitimate ones). */
#define MAP_MAX (16u << 20)

static struct virtio_pci_state *st(struct virtio_device *dev)
{
	return &dev->t.pci;
}

static uint8_t c8(struct virtio_device *dev, uint32_t off)
{
	return vs_mmio_r8(st(dev)->common, off);
}
static uint16_t c16(struct virtio_device *dev, uint32_t off)
{
	return vs_cpu_le16(vs_mmio_r16(st(dev)->common, off));
}
static uint32_t c32(struct virtio_device *dev, uint32_t off)
{
	return vs_cpu_le32(vs_mmio_r32(st(dev)->common, off));
}
static void w8(struct virtio_device *dev, uint32_t off, uint8_t v)
{
	vs_mmio_w8(st(dev)->common, off, v);
}
static void w16(struct virtio_device *dev, uint32_t off, uint16_t v)
{
	vs_mmio_w16(st(dev)->common, off, vs_cpu_le16(v));
}
static void w32(struct virtio_device *dev, uint32_t off, uint32_t v)
{
	vs_mmio_w32(st(dev)->common, off, vs_cpu_le32(v));
}
static void w64(struct virtio_device *dev, uint32_t off, uint64_t v)
{
	w32(dev, off, (uint32_t)v);
	w32(dev, off + 4, (uint32_t)(v >> 32));
}

static uint8_t modern_get_status(struct virtio_device *dev)
{
	return c8(dev, C_STATUS);
}

static void modern_set_status(struct virtio_device *dev, uint8_t s)
{
	w8(dev, C_STATUS, s);
}

static int modern_reset(struct virtio_device *dev)
{
	w8(dev, C_STATUS, 0);
	return virtio_wait_reset_done(dev);
}

static uint64_t modern_get_features(struct virtio_device *dev)
{
	w32(dev, C_DFSELECT, 0);
	uint32_t lo = c32(dev, C_DF);
	w32(dev, C_DFSELECT, 1);
	uint32_t hi = c32(dev, C_DF);
	return lo | (uint64_t)hi << 32;
}

static void modern_set_features(struct virtio_device *dev, uint64_t f)
{
	w32(dev, C_GFSELECT, 0);
	w32(dev, C_GF, (uint32_t)f);
	w32(dev, C_GFSELECT, 1);
	w32(dev, C_GF, (uint32_t)(f >> 32));
}

static bool config_in_range(struct virtio_device *dev, uint32_t off, unsigned width)
{
	struct virtio_pci_state *p = st(dev);
	if (p->devcfg && (uint64_t)off + width <= p->devcfg_len && !(off & (width - 1)))
		return true;
	vs_log(dev->glue, VS_LOG_WARN, "virtio %s: config access %u+%u outside the %u-byte window",
	       dev->location, off, width, p->devcfg ? p->devcfg_len : 0);
	return false;
}

static uint32_t modern_config_read(struct virtio_device *dev, uint32_t off, unsigned width)
{
	if (!config_in_range(dev, off, width))
		return 0;
	volatile uint8_t *c = st(dev)->devcfg;
	if (width == 1)
		return vs_mmio_r8(c, off);
	if (width == 2)
		return vs_cpu_le16(vs_mmio_r16(c, off));
	return vs_cpu_le32(vs_mmio_r32(c, off));
}

static void modern_config_write(struct virtio_device *dev, uint32_t off, unsigned width,
				uint32_t v)
{
	if (!config_in_range(dev, off, width))
		return;
	volatile uint8_t *c = st(dev)->devcfg;
	if (width == 1)
		vs_mmio_w8(c, off, (uint8_t)v);
	else if (width == 2)
		vs_mmio_w16(c, off, vs_cpu_le16((uint16_t)v));
	else
		vs_mmio_w32(c, off, vs_cpu_le32(v));
}

static uint32_t modern_config_generation(struct virtio_device *dev)
{
	return c8(dev, C_CFG_GENERATION);
}

static uint16_t modern_queue_count(struct virtio_device *dev)
{
	return c16(dev, C_NUM_QUEUES);
}

static uint16_t modern_queue_max_size(struct virtio_device *dev, uint16_t idx)
{
	w16(dev, C_Q_SELECT, idx);
	return c16(dev, C_Q_SIZE);
}

static int modern_queue_setup(struct virtio_device *dev, uint16_t idx, uint16_t size,
			      uint64_t desc, uint64_t driver, uint64_t device, uint16_t vector)
{
	struct virtio_pci_state *p = st(dev);
	struct virtqueue *vq = virtio_queue(dev, idx);
	if (!vq)
		return -VSCSI_EINVAL;
	/* virtio 1.2 §4.1.5.1.3: select, size, the three addresses, the notify offset,
	 * the vector; queue_enable last. */
	w16(dev, C_Q_SELECT, idx);
	w16(dev, C_Q_SIZE, size);
	w64(dev, C_Q_DESCLO, desc);
	w64(dev, C_Q_AVAILLO, driver);
	w64(dev, C_Q_USEDLO, device);
	uint64_t noff = (uint64_t)c16(dev, C_Q_NOFF) * p->notify_mult;
	/* virtio 1.2 §4.1.4.4: the notify address must lie inside the capability's
	 * window; a device that says otherwise is not believed. */
	if (noff + 2 > p->notify_len) {
		vs_log(dev->glue, VS_LOG_ERR,
		       "virtio %s: queue %u notify offset %llu outside the %u-byte notify window",
		       dev->location, idx, (unsigned long long)noff, p->notify_len);
		return -VSCSI_EPROTO;
	}
	vq->notify_addr = p->notify + noff;
	if (p->msix_enabled) {
		w16(dev, C_Q_MSIX_VECTOR, vector);
		if (c16(dev, C_Q_MSIX_VECTOR) != vector)
			return -VSCSI_EIO;
	}
	w16(dev, C_Q_ENABLE, 1);
	return 0;
}

static void modern_queue_notify(struct virtio_device *dev, struct virtqueue *vq)
{
	(void)dev;
	/* virtio 1.2 §4.1.5.2: without NOTIFICATION_DATA, the 16-bit queue index. */
	vs_mmio_w16(vq->notify_addr, 0, vs_cpu_le16(vq->index));
}

static uint8_t modern_isr_read(struct virtio_device *dev)
{
	return vs_mmio_r8(st(dev)->isr, 0);
}

static int modern_set_config_vector(struct virtio_device *dev, uint16_t vector)
{
	w16(dev, C_MSIX_CONFIG, vector);
	return c16(dev, C_MSIX_CONFIG) == vector ? 0 : -VSCSI_EIO;
}

static const struct virtio_transport_ops modern_ops = {
	.name = "pci-modern",
	.get_status = modern_get_status,
	.set_status = modern_set_status,
	.reset = modern_reset,
	.get_features = modern_get_features,
	.set_features = modern_set_features,
	.config_read = modern_config_read,
	.config_write = modern_config_write,
	.config_generation = modern_config_generation,
	.queue_count = modern_queue_count,
	.queue_max_size = modern_queue_max_size,
	.queue_setup = modern_queue_setup,
	.queue_notify = modern_queue_notify,
	.isr_read = modern_isr_read,
	.set_config_vector = modern_set_config_vector,
	.msix_setup = vpci_msix_setup,
	.msix_disable = vpci_msix_disable,
	.msix_table_size = vpci_msix_table_size,
	.stop_dma = vpci_stop_dma,
	.legacy = false,
	.fixed_queue_size = false,
};

/* --- capability walk --------------------------------------------------- */

struct found {
	bool have[5];
	uint64_t bar_addr[5];
	uint32_t len[5];
	uint32_t notify_mult;
};

static bool examine_cap(struct virtio_device *dev, uint8_t id, uint8_t off, void *arg)
{
	struct found *f = arg;
	if (id != PCI_CAP_ID_VENDOR)
		return false;
	uint8_t cap_len = (uint8_t)vpci_cfg_read(dev, (uint16_t)(off + CAP_LEN), 1);
	uint8_t type = (uint8_t)vpci_cfg_read(dev, (uint16_t)(off + CAP_CFG_TYPE), 1);
	uint8_t bar = (uint8_t)vpci_cfg_read(dev, (uint16_t)(off + CAP_BAR), 1);
	/* virtio 1.2 §4.1.4: ignore unknown types and BAR values beyond 5; take the
	 * first usable capability of each type (the device's preference);
	 * accept a cap_len longer than we know. */
	if (cap_len < 16 || type < CFG_COMMON || type > CFG_DEVICE || bar > 5 || f->have[type])
		return false;
	if (type == CFG_NOTIFY && cap_len < 20)
		return false;
	uint32_t offset = vpci_cfg_read(dev, (uint16_t)(off + CAP_OFFSET), 4);
	uint32_t length = vpci_cfg_read(dev, (uint16_t)(off + CAP_LENGTH), 4);
	uint64_t base = vpci_bar_mem(dev, bar);
	if (!base) /* an I/O BAR, an unassigned BAR, or the upper half of one */
		return false;
	uint32_t need = type == CFG_COMMON ? COMMON_MIN_LEN : type == CFG_NOTIFY ? 2 :
			type == CFG_ISR ? 1 : 0;
	if (length < need)
		return false;
	f->have[type] = true;
	f->bar_addr[type] = base + offset;
	f->len[type] = VS_MIN(length, MAP_MAX);
	if (type == CFG_NOTIFY)
		f->notify_mult = vpci_cfg_read(dev, (uint16_t)(off + CAP_NOTIFY_MULT), 4);
	return false;
}

int virtio_pci_modern_probe(struct virtio_device *dev)
{
	const struct vscsi_glue *g = dev->glue;
	struct virtio_pci_state *p = st(dev);
	struct found f = { 0 };
	vpci_find_cap(dev, examine_cap, &f);
	if (!f.have[CFG_COMMON] || !f.have[CFG_NOTIFY] || !f.have[CFG_ISR])
		return -VSCSI_ENODEV;
	if (!g->mmio_map)
		return -VSCSI_ENODEV;
	/* Map only the structures, not whole BARs. */
	p->common = g->mmio_map(g->ctx, f.bar_addr[CFG_COMMON], f.len[CFG_COMMON]);
	p->notify = g->mmio_map(g->ctx, f.bar_addr[CFG_NOTIFY], f.len[CFG_NOTIFY]);
	p->isr = g->mmio_map(g->ctx, f.bar_addr[CFG_ISR], f.len[CFG_ISR]);
	if (f.have[CFG_DEVICE] && f.len[CFG_DEVICE])
		p->devcfg = g->mmio_map(g->ctx, f.bar_addr[CFG_DEVICE], f.len[CFG_DEVICE]);
	if (!p->common || !p->notify || !p->isr) {
		vs_log(g, VS_LOG_ERR, "virtio %s: cannot map the modern register windows",
		       dev->location);
		return -VSCSI_ENOMEM;
	}
	p->common_len = f.len[CFG_COMMON];
	p->notify_len = f.len[CFG_NOTIFY];
	p->isr_len = f.len[CFG_ISR];
	p->devcfg_len = p->devcfg ? f.len[CFG_DEVICE] : 0;
	p->notify_mult = f.notify_mult;
	/* virtio 1.2 §4.1.4 / PCI: memory decoding for the BARs, bus mastering for DMA. */
	vpci_command(dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	dev->ops = &modern_ops;
	return 0;
}
