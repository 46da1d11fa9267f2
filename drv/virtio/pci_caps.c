/*
 * pci_caps.c - PCI configuration space work shared by both PCI transports:
 * the capability list walk, BAR decoding (64-bit BARs included), the
 * command register, and the MSI-X capability and table.
 */
#include "virtio/virtqueue.h"

#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_PTR 0x34
#define PCI_BAR0 0x10
#define PCI_COMMAND 0x04

#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_CTRL_MASKED 1

uint32_t vpci_cfg_read(struct virtio_device *dev, uint16_t off, unsigned width)
{
	const struct vscsi_glue *g = dev->glue;
	return g->pci_cfg_read(g->ctx, dev->t.pci.addr, off, width);
}

void vpci_cfg_write(struct virtio_device *dev, uint16_t off, unsigned width, uint32_t v)
{
	const struct vscsi_glue *g = dev->glue;
	g->pci_cfg_write(g->ctx, dev->t.pci.addr, off, width, v);
}

uint8_t vpci_find_cap(struct virtio_device *dev,
		      bool (*fn)(struct virtio_device *, uint8_t id, uint8_t off, void *),
		      void *arg)
{
	if (!(vpci_cfg_read(dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	uint8_t ptr = (uint8_t)(vpci_cfg_read(dev, PCI_CAP_PTR, 1) & 0xfc);
	/* 48 capabilities fill the 192 bytes after the header: more means
	 * the list loops. */
	for (unsigned n = 0; ptr >= 0x40 && n < 48; n++) {
		uint8_t id = (uint8_t)vpci_cfg_read(dev, ptr, 1);
		if (fn(dev, id, ptr, arg))
			return ptr;
		ptr = (uint8_t)(vpci_cfg_read(dev, (uint16_t)(ptr + 1), 1) & 0xfc);
	}
	return 0;
}

static bool bar_is_mem64(uint32_t v)
{
	return !(v & 1) && ((v >> 1) & 3) == 2;
}

uint64_t vpci_bar_mem(struct virtio_device *dev, unsigned bar)
{
	if (bar > 5)
		return 0;
	/* A BAR slot that is the upper half of a 64-bit BAR is no BAR. */
	unsigned i = 0;
	while (i < bar)
		i += bar_is_mem64(vpci_cfg_read(dev, (uint16_t)(PCI_BAR0 + 4 * i), 4)) ? 2 : 1;
	if (i != bar)
		return 0;
	uint32_t v = vpci_cfg_read(dev, (uint16_t)(PCI_BAR0 + 4 * bar), 4);
	if (v & 1)
		return 0;
	uint64_t addr = v & ~0xfull;
	if (bar_is_mem64(v)) {
		if (bar == 5)
			return 0;
		addr |= (uint64_t)vpci_cfg_read(dev, (uint16_t)(PCI_BAR0 + 4 * (bar + 1)), 4) << 32;
	}
	return addr;
}

uint16_t vpci_bar_io(struct virtio_device *dev, unsigned bar)
{
	if (bar > 5)
		return 0;
	uint32_t v = vpci_cfg_read(dev, (uint16_t)(PCI_BAR0 + 4 * bar), 4);
	if (!(v & 1))
		return 0;
	return (uint16_t)(v & 0xfffc);
}

void vpci_command(struct virtio_device *dev, uint16_t set, uint16_t clear)
{
	uint16_t cmd = (uint16_t)vpci_cfg_read(dev, PCI_COMMAND, 2);
	uint16_t new = (uint16_t)((cmd | set) & ~clear);
	if (new != cmd)
		vpci_cfg_write(dev, PCI_COMMAND, 2, new);
}

bool vpci_stop_dma(struct virtio_device *dev)
{
	vpci_command(dev, 0, PCI_COMMAND_MASTER);
	/* Read back: a function that keeps the bit set cannot be stopped. */
	return !(vpci_cfg_read(dev, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
}

static bool is_msix(struct virtio_device *dev, uint8_t id, uint8_t off, void *arg)
{
	(void)dev;
	(void)off;
	(void)arg;
	return id == PCI_CAP_ID_MSIX;
}

void vpci_msix_probe(struct virtio_device *dev)
{
	struct virtio_pci_state *p = &dev->t.pci;
	uint8_t cap = vpci_find_cap(dev, is_msix, NULL);
	if (!cap)
		return;
	uint16_t ctrl = (uint16_t)vpci_cfg_read(dev, (uint16_t)(cap + MSIX_CTRL), 2);
	uint32_t table = vpci_cfg_read(dev, (uint16_t)(cap + MSIX_TABLE), 4);
	/* Start from a known state: whatever ran before us may have left
	 * MSI-X on (which also moves the legacy config window). */
	if (ctrl & MSIX_CTRL_ENABLE)
		vpci_cfg_write(dev, (uint16_t)(cap + MSIX_CTRL), 2,
			       ctrl & ~(MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL));
	p->msix_entries = (uint16_t)((ctrl & 0x7ff) + 1);
	p->msix_bir = (uint8_t)(table & 7);
	p->msix_offset = table & ~7u;
	uint64_t bar = vpci_bar_mem(dev, p->msix_bir);
	if (!bar || !dev->glue->mmio_map) {
		vs_log(dev->glue, VS_LOG_INFO, "virtio %s: MSI-X table BAR%u not usable",
		       dev->location, p->msix_bir);
		return;
	}
	p->msix_table = dev->glue->mmio_map(dev->glue->ctx, bar + p->msix_offset,
					    (size_t)p->msix_entries * MSIX_ENTRY_SIZE);
	if (p->msix_table)
		p->msix_cap = cap;
}

unsigned vpci_msix_table_size(struct virtio_device *dev)
{
	return dev->t.pci.msix_cap ? dev->t.pci.msix_entries : 0;
}

int vpci_msix_setup(struct virtio_device *dev, unsigned nvectors, const uint64_t *addr,
		    const uint32_t *data)
{
	struct virtio_pci_state *p = &dev->t.pci;
	if (!p->msix_cap || nvectors > p->msix_entries)
		return -VSCSI_ENOSPC;
	uint16_t reg = (uint16_t)(p->msix_cap + MSIX_CTRL);
	uint16_t ctrl = (uint16_t)vpci_cfg_read(dev, reg, 2);
	/* Enabled with the function masked while the table is written. */
	vpci_cfg_write(dev, reg, 2, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	vpci_command(dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	for (unsigned i = 0; i < p->msix_entries; i++) {
		volatile uint8_t *e = p->msix_table + (size_t)i * MSIX_ENTRY_SIZE;
		if (i < nvectors) {
			vs_mmio_w32(e, 0, (uint32_t)addr[i]);
			vs_mmio_w32(e, 4, (uint32_t)(addr[i] >> 32));
			vs_mmio_w32(e, 8, data[i]);
			vs_mmio_w32(e, 12, 0);
		} else {
			vs_mmio_w32(e, 12, MSIX_ENTRY_CTRL_MASKED);
		}
	}
	vpci_cfg_write(dev, reg, 2, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASKALL);
	p->msix_enabled = true;
	return 0;
}

void vpci_msix_disable(struct virtio_device *dev)
{
	struct virtio_pci_state *p = &dev->t.pci;
	if (!p->msix_cap)
		return;
	uint16_t reg = (uint16_t)(p->msix_cap + MSIX_CTRL);
	uint16_t ctrl = (uint16_t)vpci_cfg_read(dev, reg, 2);
	vpci_cfg_write(dev, reg, 2, ctrl & ~MSIX_CTRL_ENABLE);
	p->msix_enabled = false;
}
