/*
 * mmio.c - the virtio-mmio transport, virtio 1.2 §4.2: version 2 (the
 * virtio 1.x register file) and version 1 (legacy: GuestPageSize,
 * QueueAlign and a queue page frame number, virtio 1.2 §4.2.4).  Registers are 32
 * bits wide; the device configuration starts at 0x100.
 *
 * Finding the windows is the host's business (QEMU's microvm machine
 * places them at 0xFEB00000 + 0x200 * i and tells a PVH kernel nothing
 * about them; the test kernel probes that range itself): the driver is
 * handed one window at a time by vscsi_probe_mmio().
 */
#include "virtio/virtqueue.h"

#define M_MAGIC 0x000
#define M_VERSION 0x004
#define M_DEVICE_ID 0x008
#define M_DEVICE_FEATURES 0x010
#define M_DEVICE_FEATURES_SEL 0x014
#define M_DRIVER_FEATURES 0x020
#define M_DRIVER_FEATURES_SEL 0x024
#define M_GUEST_PAGE_SIZE 0x028 /* v1 */
#define M_QUEUE_SEL 0x030
#define M_QUEUE_NUM_MAX 0x034
#define M_QUEUE_NUM 0x038
#define M_QUEUE_ALIGN 0x03c /* v1 */
#define M_QUEUE_PFN 0x040   /* v1 */
#define M_QUEUE_READY 0x044 /* v2 */
#define M_QUEUE_NOTIFY 0x050
#define M_INTERRUPT_STATUS 0x060
#define M_INTERRUPT_ACK 0x064
#define M_STATUS 0x070
#define M_QUEUE_DESC_LOW 0x080
#define M_QUEUE_DESC_HIGH 0x084
#define M_QUEUE_DRIVER_LOW 0x090
#define M_QUEUE_DRIVER_HIGH 0x094
#define M_QUEUE_DEVICE_LOW 0x0a0
#define M_QUEUE_DEVICE_HIGH 0x0a4
#define M_CONFIG_GENERATION 0x0fc /* v2 */
#define M_CONFIG 0x100
#define M_WINDOW 0x200

#define MMIO_MAGIC 0x74726976u /* "virt" */
#define PAGE_SIZE_V1 4096u

static uint32_t rd(struct virtio_device *dev, uint32_t off)
{
	return vs_cpu_le32(vs_mmio_r32(dev->t.mmio.regs, off));
}

static void wr(struct virtio_device *dev, uint32_t off, uint32_t v)
{
	vs_mmio_w32(dev->t.mmio.regs, off, vs_cpu_le32(v));
}

static uint8_t mmio_get_status(struct virtio_device *dev)
{
	return (uint8_t)rd(dev, M_STATUS);
}

static void mmio_set_status(struct virtio_device *dev, uint8_t s)
{
	wr(dev, M_STATUS, s);
}

static int mmio_reset(struct virtio_device *dev)
{
	wr(dev, M_STATUS, 0);
	return virtio_wait_reset_done(dev);
}

/* Version 1 (legacy) carries 32 feature bits: the high selector is not
 * used at all (QEMU reports writing it as a guest error). */
static uint64_t mmio_get_features(struct virtio_device *dev)
{
	wr(dev, M_DEVICE_FEATURES_SEL, 0);
	uint32_t lo = rd(dev, M_DEVICE_FEATURES);
	if (dev->t.mmio.version == 1)
		return lo;
	wr(dev, M_DEVICE_FEATURES_SEL, 1);
	uint32_t hi = rd(dev, M_DEVICE_FEATURES);
	return lo | (uint64_t)hi << 32;
}

static void mmio_set_features(struct virtio_device *dev, uint64_t f)
{
	wr(dev, M_DRIVER_FEATURES_SEL, 0);
	wr(dev, M_DRIVER_FEATURES, (uint32_t)f);
	if (dev->t.mmio.version == 1)
		return;
	wr(dev, M_DRIVER_FEATURES_SEL, 1);
	wr(dev, M_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

static bool config_ok(uint32_t off, unsigned width)
{
	return (uint64_t)off + width <= M_WINDOW - M_CONFIG && !(off & (width - 1));
}

static uint32_t mmio_config_read(struct virtio_device *dev, uint32_t off, unsigned width)
{
	if (!config_ok(off, width))
		return 0;
	volatile uint8_t *c = dev->t.mmio.regs + M_CONFIG;
	if (width == 1)
		return vs_mmio_r8(c, off);
	if (width == 2)
		return vs_cpu_le16(vs_mmio_r16(c, off));
	return vs_cpu_le32(vs_mmio_r32(c, off));
}

static void mmio_config_write(struct virtio_device *dev, uint32_t off, unsigned width, uint32_t v)
{
	if (!config_ok(off, width))
		return;
	volatile uint8_t *c = dev->t.mmio.regs + M_CONFIG;
	if (width == 1)
		vs_mmio_w8(c, off, (uint8_t)v);
	else if (width == 2)
		vs_mmio_w16(c, off, vs_cpu_le16((uint16_t)v));
	else
		vs_mmio_w32(c, off, vs_cpu_le32(v));
}

static uint32_t mmio_config_generation(struct virtio_device *dev)
{
	return dev->t.mmio.version >= 2 ? rd(dev, M_CONFIG_GENERATION) : 0;
}

static uint16_t mmio_queue_count(struct virtio_device *dev)
{
	(void)dev;
	return 0; /* not reported: probe queue by queue */
}

static uint16_t mmio_queue_max_size(struct virtio_device *dev, uint16_t idx)
{
	wr(dev, M_QUEUE_SEL, idx);
	/* virtio 1.2 §4.2.3.2: a queue already in use is not ours to set up. */
	if (dev->t.mmio.version >= 2 ? rd(dev, M_QUEUE_READY) : rd(dev, M_QUEUE_PFN))
		return 0;
	uint32_t max = rd(dev, M_QUEUE_NUM_MAX);
	return (uint16_t)(max > VIRTQ_MAX_SIZE ? VIRTQ_MAX_SIZE : max);
}

static int mmio_queue_setup(struct virtio_device *dev, uint16_t idx, uint16_t size,
			    uint64_t desc, uint64_t driver, uint64_t device, uint16_t vector)
{
	(void)vector;
	wr(dev, M_QUEUE_SEL, idx);
	wr(dev, M_QUEUE_NUM, size);
	if (dev->t.mmio.version >= 2) {
		wr(dev, M_QUEUE_DESC_LOW, (uint32_t)desc);
		wr(dev, M_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
		wr(dev, M_QUEUE_DRIVER_LOW, (uint32_t)driver);
		wr(dev, M_QUEUE_DRIVER_HIGH, (uint32_t)(driver >> 32));
		wr(dev, M_QUEUE_DEVICE_LOW, (uint32_t)device);
		wr(dev, M_QUEUE_DEVICE_HIGH, (uint32_t)(device >> 32));
		wr(dev, M_QUEUE_READY, 1);
		return 0;
	}
	/* Version 1 (virtio 1.2 §4.2.4): one contiguous ring, the used ring aligned to
	 * QueueAlign, located by its page frame number. */
	if ((desc & (PAGE_SIZE_V1 - 1)) || driver != desc + vq_split_avail_off(size) ||
	    device != desc + vq_split_used_off(size) || (desc / PAGE_SIZE_V1) > 0xffffffffull) {
		vs_log(dev->glue, VS_LOG_ERR,
		       "virtio %s: queue %u: ring layout not usable by virtio-mmio version 1",
		       dev->location, idx);
		return -VSCSI_EINVAL;
	}
	wr(dev, M_GUEST_PAGE_SIZE, PAGE_SIZE_V1);
	wr(dev, M_QUEUE_ALIGN, VIRTQ_LEGACY_ALIGN);
	wr(dev, M_QUEUE_PFN, (uint32_t)(desc / PAGE_SIZE_V1));
	return 0;
}

static void mmio_queue_notify(struct virtio_device *dev, struct virtqueue *vq)
{
	wr(dev, M_QUEUE_NOTIFY, vq->index);
}

static uint8_t mmio_isr_read(struct virtio_device *dev)
{
	/* virtio 1.2 §4.2.3.4: bit 0 used buffers, bit 1 configuration change; the
	 * driver acknowledges what it saw. */
	uint32_t s = rd(dev, M_INTERRUPT_STATUS);
	if (s)
		wr(dev, M_INTERRUPT_ACK, s);
	return (uint8_t)(s & 3);
}

static int mmio_set_config_vector(struct virtio_device *dev, uint16_t vector)
{
	(void)dev;
	(void)vector;
	return -VSCSI_EIO;
}

/* Versions 1 and 2 share every register access that differs at all inside
 * the functions above; only the legacy flag (guest-endian, PFN queues,
 * virtio 1.2 §4.2.4) tells them apart. */
#define MMIO_OPS(ops_name, version_name, is_legacy)                          \
	static const struct virtio_transport_ops ops_name = {                \
		.name = version_name,                                        \
		.get_status = mmio_get_status,                               \
		.set_status = mmio_set_status,                               \
		.reset = mmio_reset,                                         \
		.get_features = mmio_get_features,                           \
		.set_features = mmio_set_features,                           \
		.config_read = mmio_config_read,                             \
		.config_write = mmio_config_write,                           \
		.config_generation = mmio_config_generation,                 \
		.queue_count = mmio_queue_count,                             \
		.queue_max_size = mmio_queue_max_size,                       \
		.queue_setup = mmio_queue_setup,                             \
		.queue_notify = mmio_queue_notify,                           \
		.isr_read = mmio_isr_read,                                   \
		.set_config_vector = mmio_set_config_vector,                 \
		.legacy = is_legacy,                                         \
		.fixed_queue_size = false,                                   \
	}

MMIO_OPS(mmio_v2_ops, "mmio-v2", false);
MMIO_OPS(mmio_v1_ops, "mmio-v1", true);

int virtio_mmio_probe(struct virtio_device *dev)
{
	const struct vscsi_glue *g = dev->glue;
	struct virtio_mmio_state *m = &dev->t.mmio;
	if (!g->mmio_map)
		return -VSCSI_EINVAL;
	m->regs = g->mmio_map(g->ctx, m->phys, M_WINDOW);
	if (!m->regs)
		return -VSCSI_ENOMEM;
	uint32_t magic = rd(dev, M_MAGIC);
	m->version = rd(dev, M_VERSION);
	dev->device_id = rd(dev, M_DEVICE_ID);
	if (magic != MMIO_MAGIC || (m->version != 1 && m->version != 2)) {
		vs_log(g, VS_LOG_ERR, "virtio %s: not a virtio-mmio device (magic 0x%x, version %u)",
		       dev->location, magic, m->version);
		return -VSCSI_ENODEV;
	}
	if (dev->device_id == 0) /* virtio 1.2 §4.2.3.1.1: an empty slot */
		return -VSCSI_ENODEV;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	if (m->version == 1)
		return -VSCSI_ENOSYS; /* guest-endian legacy rings are not written */
#endif
	dev->ops = m->version == 1 ? &mmio_v1_ops : &mmio_v2_ops;
	return 0;
}
