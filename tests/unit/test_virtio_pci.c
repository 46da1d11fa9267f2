/*
 * test_virtio_pci.c - the PCI transports on the host: a fake configuration
 * space with virtio vendor capabilities (virtio 1.2 §4.1.4), BAR memory
 * behind a fake mmio_map, and an emulated legacy I/O header (virtio 1.2 §4.1.4.8)
 * behind the pio accessors.
 *
 * Modern registers are plain memory here (no side effects), which is
 * enough to check where the driver looks: the capability walk rules
 * (first usable of each type, BAR > 5 and I/O BARs skipped, longer
 * cap_len accepted, 64-bit BARs, looping lists), the notify offset bound,
 * and the command register.  The legacy header is emulated register by
 * register, including the config window moving from 20 to 24 with MSI-X.
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "support/runner.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "support/host_glue.h"
#include "virtio/transport.h"
#include "virtio/virtqueue.h"

#define BAR4_PHYS 0x800000000ull /* 64-bit BAR4/5 */
#define BAR1_PHYS 0xfebf0000ull  /* MSI-X table */
#define IO_BASE 0xc000
#define MSIX_CAP 0xc8

static uint8_t cfg[256];
static uint8_t *bar4; /* 0x4000 bytes: common 0, isr 0x1000, device 0x2000, notify 0x3000 */
static uint8_t msix_table[0x100];
static struct vscsi_glue g;
static struct virtio_device *dev;

/* --- fake PCI configuration space ---------------------------------------- */

static void put8(unsigned off, uint8_t v)
{
	cfg[off] = v;
}
static void put16(unsigned off, uint16_t v)
{
	cfg[off] = (uint8_t)v;
	cfg[off + 1] = (uint8_t)(v >> 8);
}
static void put32(unsigned off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		cfg[off + i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(unsigned off)
{
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

static uint32_t f_cfg_read(void *ctx, struct vscsi_pci_addr a, uint16_t off, unsigned width)
{
	(void)ctx;
	(void)a;
	uint32_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint32_t)cfg[off + i] << (8 * i);
	return v;
}

static void f_cfg_write(void *ctx, struct vscsi_pci_addr a, uint16_t off, unsigned width, uint32_t v)
{
	(void)ctx;
	(void)a;
	for (unsigned i = 0; i < width; i++)
		cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static volatile void *f_mmio_map(void *ctx, uint64_t phys, size_t len)
{
	(void)ctx;
	if (phys >= BAR4_PHYS && phys + len <= BAR4_PHYS + 0x4000)
		return bar4 + (phys - BAR4_PHYS);
	if (phys >= BAR1_PHYS && phys + len <= BAR1_PHYS + sizeof(msix_table))
		return msix_table + (phys - BAR1_PHYS);
	return NULL;
}

/* A vendor capability at `off`. */
static void vcap(unsigned off, unsigned next, uint8_t len, uint8_t type, uint8_t bar, uint32_t offset,
		 uint32_t length)
{
	put8(off, PCI_CAP_ID_VENDOR);
	put8(off + 1, (uint8_t)next);
	put8(off + 2, len);
	put8(off + 3, type);
	put8(off + 4, bar);
	put32(off + 8, offset);
	put32(off + 12, length);
}

/* A transitional virtio-scsi function: BAR0 legacy I/O, BAR1 MSI-X, BAR2
 * an I/O BAR, BAR4/5 the 64-bit modern BAR; capabilities laid out so
 * that a careless walk would pick the wrong ones. */
static void make_device(uint16_t device_id, bool modern_caps, bool msix)
{
	memset(cfg, 0, sizeof(cfg));
	memset(bar4, 0, 0x4000);
	memset(msix_table, 0, sizeof(msix_table));
	put16(0x00, 0x1af4);
	put16(0x02, device_id);
	put8(0x08, device_id < 0x1040 ? 0 : 1);
	put16(0x2e, device_id < 0x1040 ? 8 : 0x1100);
	put16(0x06, 0x10); /* capability list */
	put32(0x10, IO_BASE | 1);
	put32(0x14, (uint32_t)BAR1_PHYS);
	put32(0x18, 0xc101);
	put32(0x20, (uint32_t)BAR4_PHYS | 0x4 | 0x8);
	put32(0x24, (uint32_t)(BAR4_PHYS >> 32));
	unsigned first = msix ? MSIX_CAP : (modern_caps ? 0x40 : 0);
	put8(0x34, (uint8_t)first);
	if (msix) {
		put8(MSIX_CAP, PCI_CAP_ID_MSIX);
		put8(MSIX_CAP + 1, modern_caps ? 0x40 : 0);
		put16(MSIX_CAP + 2, 3); /* 4 entries */
		put32(MSIX_CAP + 4, 1); /* BAR1, offset 0 */
	}
	if (!modern_caps)
		return;
	vcap(0x40, 0x50, 16, 1, 7, 0x800, 0x1000);        /* COMMON in BAR7: ignored */
	vcap(0x50, 0x60, 16, 1, 4, 0x0000, 0x1000);       /* COMMON: this one */
	vcap(0x60, 0x70, 16, 1, 4, 0x0800, 0x0800);       /* a second COMMON: not used */
	vcap(0x70, 0x84, 20, 2, 2, 0x0000, 0x1000);       /* NOTIFY in an I/O BAR: unusable */
	put32(0x70 + 16, 4);
	vcap(0x84, 0x98, 20, 2, 4, 0x3000, 0x0100);       /* NOTIFY: this one */
	put32(0x84 + 16, 4);
	vcap(0x98, 0xb0, 24, 3, 4, 0x1000, 0x0001);       /* ISR, longer cap_len */
	vcap(0xb0, 0x00, 16, 4, 4, 0x2000, 0x0100);       /* DEVICE */
	/* modern register contents the driver reads */
	bar4[0x04] = 0x02;                /* device_feature: bit 1 (and 33, see below) */
	bar4[0x12] = 3;                   /* num_queues */
	bar4[0x18] = 16;                  /* queue_size */
	bar4[0x1e] = 5;                   /* queue_notify_off: 5 x 4 = byte 20 */
}

/* device_feature reads the same for both selects here (plain memory):
 * bits 0 and 1 of each half, so 32 (VERSION_1) and 33 (ACCESS_PLATFORM)
 * are offered too. */
static void offer_version_1(void)
{
	bar4[0x04] |= 1;
}

/* --- emulated legacy I/O header ------------------------------------------------ */

static struct {
	uint8_t status, isr;
	uint32_t host_features, guest_features;
	uint16_t sel, qsize[3], qvec[3], cvec;
	uint32_t pfn[3];
	unsigned notifies[3];
	uint8_t config[36];
	unsigned bad_accesses;
} leg;

static bool leg_msix(void)
{
	return cfg[0x34] == MSIX_CAP && (get16(MSIX_CAP + 2) & 0x8000);
}

static unsigned leg_cbase(void)
{
	return leg_msix() ? 24 : 20;
}

static uint32_t leg_read(uint16_t port, unsigned width)
{
	unsigned off = port - IO_BASE, cb = leg_cbase();
	if (off >= cb && off + width <= cb + sizeof(leg.config)) {
		uint32_t v = 0;
		for (unsigned i = 0; i < width; i++)
			v |= (uint32_t)leg.config[off - cb + i] << (8 * i);
		return v;
	}
	switch (off | width << 8) {
	case 0x000 | 4 << 8: return leg.host_features;
	case 0x004 | 4 << 8: return leg.guest_features;
	case 0x008 | 4 << 8: return leg.pfn[leg.sel];
	case 0x00c | 2 << 8: return leg.sel < 3 ? leg.qsize[leg.sel] : 0;
	case 0x00e | 2 << 8: return leg.sel;
	case 0x012 | 1 << 8: return leg.status;
	case 0x013 | 1 << 8: {
		uint8_t v = leg.isr;
		leg.isr = 0;
		return v;
	}
	case 0x014 | 2 << 8: if (leg_msix()) return leg.cvec; break;
	case 0x016 | 2 << 8: if (leg_msix()) return leg.qvec[leg.sel]; break;
	}
	leg.bad_accesses++;
	return 0xffffffff;
}

static void leg_write(uint16_t port, unsigned width, uint32_t v)
{
	unsigned off = port - IO_BASE;
	switch (off | width << 8) {
	case 0x004 | 4 << 8: leg.guest_features = v; return;
	case 0x008 | 4 << 8: if (leg.sel < 3) leg.pfn[leg.sel] = v; return;
	case 0x00e | 2 << 8: leg.sel = (uint16_t)v; return;
	case 0x010 | 2 << 8: if (v < 3) leg.notifies[v]++; return;
	case 0x012 | 1 << 8:
		leg.status = (uint8_t)v;
		if (!v) {
			memset(leg.pfn, 0, sizeof(leg.pfn));
			leg.guest_features = 0;
			leg.cvec = 0xffff;
			memset(leg.qvec, 0xff, sizeof(leg.qvec));
		}
		return;
	case 0x014 | 2 << 8: if (leg_msix()) { leg.cvec = (uint16_t)v; return; } break;
	case 0x016 | 2 << 8: if (leg_msix() && leg.sel < 3) { leg.qvec[leg.sel] = (uint16_t)v; return; } break;
	}
	leg.bad_accesses++;
}

static uint8_t p_r8(void *c, uint16_t p) { (void)c; return (uint8_t)leg_read(p, 1); }
static uint16_t p_r16(void *c, uint16_t p) { (void)c; return (uint16_t)leg_read(p, 2); }
static uint32_t p_r32(void *c, uint16_t p) { (void)c; return leg_read(p, 4); }
static void p_w8(void *c, uint16_t p, uint8_t v) { (void)c; leg_write(p, 1, v); }
static void p_w16(void *c, uint16_t p, uint16_t v) { (void)c; leg_write(p, 2, v); }
static void p_w32(void *c, uint16_t p, uint32_t v) { (void)c; leg_write(p, 4, v); }

/* Legacy rings are addressed by a 32-bit page frame number: allocate DMA
 * memory below 4 GiB (MAP_32BIT) instead of the host glue's heap. */
static uint8_t *low_arena;
static size_t low_used;
static long low_live;
static void *low_alloc(void *ctx, size_t size, size_t align, uint64_t *bus)
{
	(void)ctx;
	low_used = (low_used + align - 1) & ~(align - 1);
	if (low_used + size > (64u << 20))
		return NULL;
	void *p = low_arena + low_used;
	low_used += size;
	memset(p, 0, size);
	*bus = (uint64_t)(uintptr_t)p;
	low_live++;
	return p;
}
static void low_free(void *ctx, void *va, size_t size)
{
	(void)ctx;
	(void)va;
	(void)size;
	low_live--;
}

/* --- fixtures ------------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	host_glue_init(&g);
	g.pci_cfg_read = f_cfg_read;
	g.pci_cfg_write = f_cfg_write;
	g.mmio_map = f_mmio_map;
	g.pio_read8 = p_r8;
	g.pio_read16 = p_r16;
	g.pio_read32 = p_r32;
	g.pio_write8 = p_w8;
	g.pio_write16 = p_w16;
	g.pio_write32 = p_w32;
	g.dma_alloc = low_alloc;
	g.dma_free = low_free;
	if (!low_arena) {
		low_arena = mmap(NULL, 64u << 20, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		assert_true(low_arena != MAP_FAILED);
		bar4 = calloc(1, 0x4000);
	}
	low_used = 0;
	low_live = 0;
	memset(&leg, 0, sizeof(leg));
	dev = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (dev)
		virtio_close(dev);
	dev = NULL;
	assert_int_equal(low_live, 0);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct vscsi_pci_addr ADDR = { 0, 0, 3, 0 };

/* --- modern -------------------------------------------------------------------- */

static void test_capability_walk(void **state)
{
	(void)state;
	make_device(0x1048, true, false);
	assert_int_equal(virtio_pci_open(&g, ADDR, NULL, &dev), 0);
	assert_int_equal(virtio_transport(dev), VIRTIO_TRANSPORT_PCI_MODERN);
	assert_string_equal(virtio_location(dev), "0000:00:03.0");
	assert_int_equal(virtio_device_id(dev), 8); /* 0x1048 - 0x1040 */
	struct virtio_pci_state *p = &dev->t.pci;
	assert_ptr_equal(p->common, bar4 + 0x0000);
	assert_ptr_equal(p->isr, bar4 + 0x1000);
	assert_ptr_equal(p->devcfg, bar4 + 0x2000);
	assert_ptr_equal(p->notify, bar4 + 0x3000);
	assert_int_equal(p->notify_mult, 4);
	assert_int_equal(p->notify_len, 0x100);
	/* memory decoding and bus mastering on */
	assert_int_equal(get16(0x04) & 6, 6);
}

static void test_modern_bring_up_and_notify(void **state)
{
	(void)state;
	make_device(0x1048, true, false);
	offer_version_1();
	assert_int_equal(virtio_pci_open(&g, ADDR, NULL, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, VIRTIO_BIT(1)), 0);
	assert_int_equal(virtio_features(dev), VIRTIO_BIT(VIRTIO_F_VERSION_1) |
						VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM) | VIRTIO_BIT(1));
	/* the halves went through driver_feature_select; the high one last */
	assert_int_equal(bar4[0x08], 1);
	assert_int_equal(bar4[0x0c], 3);
	struct virtq_request req = { 0 };
	assert_int_equal(virtio_queues_create(dev, 1, &req), 0);
	virtio_driver_ok(dev);
	assert_int_equal(bar4[0x14], 15); /* device_status */
	assert_int_equal(bar4[0x1c], 1);  /* queue_enable */
	struct virtqueue *vq = virtio_queue(dev, 0);
	uint64_t desc = 0;
	for (int i = 0; i < 8; i++)
		desc |= (uint64_t)bar4[0x20 + i] << (8 * i);
	assert_int_equal(desc, vq->desc_bus);
	/* the notify goes to notify base + queue_notify_off x multiplier */
	memset(bar4 + 0x3000, 0xee, 0x100);
	struct virtq_buf b = { 0x1000, 8 };
	int cookie;
	assert_int_equal(virtq_add(vq, &b, 1, NULL, 0, &cookie), 0);
	assert_true(virtq_kick(vq));
	assert_int_equal(bar4[0x3000 + 20], 0);
	assert_int_equal(bar4[0x3000 + 21], 0);
	assert_int_equal(bar4[0x3000 + 19], 0xee);
	assert_int_equal(bar4[0x3000 + 22], 0xee);
}

static void test_notify_offset_out_of_bounds(void **state)
{
	(void)state;
	make_device(0x1048, true, false);
	offer_version_1();
	bar4[0x1e] = 0x40; /* 0x40 x 4 = 0x100: just past the 0x100-byte window */
	assert_int_equal(virtio_pci_open(&g, ADDR, NULL, &dev), 0);
	assert_int_equal(virtio_negotiate(dev, 0), 0);
	struct virtq_request req = { 0 };
	assert_int_equal(virtio_queues_create(dev, 1, &req), -VSCSI_EPROTO);
	assert_true(host_glue_log_contains("outside the 256-byte notify window"));
}

static void test_capability_loop_and_no_caps(void **state)
{
	(void)state;
	make_device(0x1048, true, false);
	put8(0xb0 + 1, 0x50); /* the list loops back */
	assert_int_equal(virtio_pci_open(&g, ADDR, NULL, &dev), 0);
	virtio_close(dev);
	dev = NULL;
	/* a modern-only device without capabilities has no transport */
	make_device(0x1048, false, false);
	assert_int_equal(virtio_pci_open(&g, ADDR, NULL, &dev), -VSCSI_ENODEV);
	dev = NULL;
	/* not virtio at all */
	make_device(0x1048, true, false);
	put16(0x00, 0x8086);
	assert_int_equal(virtio_pci_open(&g, ADDR, NULL, &dev), -VSCSI_ENODEV);
	dev = NULL;
}

static void test_unusable_caps_are_skipped(void **state)
{
	(void)state;
	make_device(0x1048, true, false);
	vcap(0x50, 0x60, 12, 1, 4, 0, 0x1000); /* cap_len too short: skipped */
	/* the second COMMON (offset 0x800, length 0x800) is then the first usable */
	assert_int_equal(virtio_pci_open(&g, ADDR, NULL, &dev), 0);
	assert_ptr_equal(dev->t.pci.common, bar4 + 0x800);
}

/* --- legacy --------------------------------------------------------------------- */

static void legacy_device(bool msix)
{
	make_device(0x1004, true, msix);
	leg.host_features = VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) | VIRTIO_BIT(30) | 0x6;
	for (int i = 0; i < 3; i++)
		leg.qsize[i] = 64;
	for (int i = 0; i < 36; i++)
		leg.config[i] = (uint8_t)(0x10 + i);
}

static void check_config(void)
{
	uint8_t buf[36];
	assert_int_equal(virtio_config_read(dev, 0, buf, sizeof(buf)), 0);
	for (int i = 0; i < 36; i++)
		assert_int_equal(buf[i], 0x10 + i);
}

static void test_legacy_through_bar0(void **state)
{
	(void)state;
	legacy_device(false);
	struct virtio_open_opts opts = { .prefer_legacy = true };
	assert_int_equal(virtio_pci_open(&g, ADDR, &opts, &dev), 0);
	assert_int_equal(virtio_transport(dev), VIRTIO_TRANSPORT_PCI_LEGACY);
	assert_int_equal(virtio_device_id(dev), 8); /* from the subsystem ID */
	assert_int_equal(get16(0x04) & 7, 7);         /* I/O, memory, bus master */
	check_config();                               /* at offset 20 */
	assert_int_equal(virtio_negotiate(dev, 0x6), 0);
	assert_int_equal(leg.guest_features, VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) | 0x6);
	struct virtq_request req[3] = { { .max_size = 16 }, { 0 }, { 0 } };
	assert_int_equal(virtio_queues_create(dev, 3, req), 0);
	virtio_driver_ok(dev);
	assert_int_equal(leg.status, 7); /* no FEATURES_OK on legacy */
	for (int i = 0; i < 3; i++) {
		struct virtqueue *vq = virtio_queue(dev, (unsigned)i);
		assert_int_equal(virtq_size(vq), 64); /* fixed: the request for 16 is overruled */
		assert_int_equal(leg.pfn[i], vq->desc_bus >> 12);
		assert_int_equal(vq->desc_bus & 4095, 0);
		assert_int_equal(vq->device_bus - vq->desc_bus, 4096); /* 16x64 + 6 + 128 -> 4096 */
	}
	struct virtq_buf b = { 0x1000, 8 };
	int cookie;
	assert_int_equal(virtq_add(virtio_queue(dev, 2), &b, 1, NULL, 0, &cookie), 0);
	assert_true(virtq_kick(virtio_queue(dev, 2)));
	assert_int_equal(leg.notifies[2], 1);
	assert_int_equal(leg.bad_accesses, 0);
}

static void test_legacy_msix_moves_config(void **state)
{
	(void)state;
	legacy_device(true);
	host_glue_enable_irqs(&g, true);
	struct virtio_open_opts opts = { .prefer_legacy = true };
	assert_int_equal(virtio_pci_open(&g, ADDR, &opts, &dev), 0);
	check_config(); /* MSI-X still off: offset 20 */
	assert_int_equal(virtio_negotiate(dev, 0), 0);
	struct virtq_request req[3] = { { 0 } };
	assert_int_equal(virtio_queues_create(dev, 3, req), 0);
	assert_int_equal(virtio_intr_mode(dev), VIRTIO_INTR_MSIX);
	assert_true(leg_msix());
	assert_int_equal(leg.cvec, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(leg.qvec[i], 1 + i);
	/* the MSI-X table got the host's messages, unmasked */
	assert_int_equal(msix_table[0], 0x00);
	assert_int_equal(msix_table[3], 0xfe); /* 0xfee00000 */
	assert_int_equal(msix_table[8], 0x40); /* data of entry 0 */
	assert_int_equal(msix_table[16 + 8], 0x41);
	assert_int_equal(msix_table[12] & 1, 0);
	check_config(); /* now at offset 24 */
	virtio_driver_ok(dev);
	assert_int_equal(leg.bad_accesses, 0);
	virtio_close(dev);
	dev = NULL;
	assert_false(leg_msix());
}

static void test_transitional_without_caps_uses_legacy(void **state)
{
	(void)state;
	legacy_device(false);
	put8(0x34, 0); /* no capabilities at all */
	assert_int_equal(virtio_pci_open(&g, ADDR, NULL, &dev), 0);
	assert_int_equal(virtio_transport(dev), VIRTIO_TRANSPORT_PCI_LEGACY);
	assert_true(host_glue_log_contains("using legacy BAR0"));
}

static void test_prefer_legacy_on_modern_only_device(void **state)
{
	(void)state;
	make_device(0x1048, true, false);
	put32(0x10, 0); /* no I/O BAR0 */
	struct virtio_open_opts opts = { .prefer_legacy = true };
	assert_int_equal(virtio_pci_open(&g, ADDR, &opts, &dev), 0);
	assert_int_equal(virtio_transport(dev), VIRTIO_TRANSPORT_PCI_MODERN);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_capability_walk),
		T(test_modern_bring_up_and_notify),
		T(test_notify_offset_out_of_bounds),
		T(test_capability_loop_and_no_caps),
		T(test_unusable_caps_are_skipped),
		T(test_legacy_through_bar0),
		T(test_legacy_msix_moves_config),
		T(test_transitional_without_caps_uses_legacy),
		T(test_prefer_legacy_on_modern_only_device),
	};
	return vs_run_tests(tests, argc, argv);
}
