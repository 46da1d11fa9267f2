/*
 * transport.h - what the virtio layer's files share with each other (and
 * with the host unit tests): the device structure, the per-transport
 * state, and the entry points of each transport.  Nothing above drv/virtio
 * includes this file; the virtio-scsi adapter sees only virtio.h.
 */
#ifndef VSCSI_DRV_VIRTIO_TRANSPORT_H
#define VSCSI_DRV_VIRTIO_TRANSPORT_H

#include "virtio/virtio.h"
#include "util/util.h"
#include "vscsi/errors.h"

/* Bounded waits: a device that never finishes a reset is reported, not
 * waited for forever. */
#define VIRTIO_RESET_TIMEOUT_NS 1000000000ull

/* After a transport wrote 0 to the device status: wait (bounded) until the
 * status reads back 0.  Returns 0 or -VSCSI_ETIMEDOUT. */
int virtio_wait_reset_done(struct virtio_device *dev);

/* Interrupt vectors used by MSI-X: entry 0 is the config vector, entry
 * 1 + q serves queue q (or entry 1 serves every queue in shared mode). */
#define VIRTIO_MSIX_CONFIG_ENTRY 0u

/* State of a PCI function, shared by the modern and the legacy transport. */
struct virtio_pci_state {
	struct vscsi_pci_addr addr;
	uint16_t vendor, device, subsys_device;
	uint8_t revision;
	/* modern: the four structures found by the capability walk */
	volatile uint8_t *common, *isr, *devcfg, *notify;
	uint32_t common_len, isr_len, devcfg_len, notify_len, notify_mult;
	/* legacy: the I/O BAR0 base */
	uint16_t io_base;
	/* MSI-X capability (0: none) and its table */
	uint8_t msix_cap;
	uint16_t msix_entries;
	uint8_t msix_bir;
	uint32_t msix_offset;
	volatile uint8_t *msix_table;
	bool msix_enabled;
};

struct virtio_mmio_state {
	volatile uint8_t *regs;
	uint64_t phys;
	uint32_t gsi;
	uint32_t version; /* 1: legacy register file, 2: virtio 1.x */
};

/* One interrupt the driver holds from the host. */
struct virtio_irq {
	struct vscsi_irq_request req;
	bool attached;
};

struct virtio_device {
	const struct vscsi_glue *glue;
	const struct virtio_transport_ops *ops;
	enum virtio_transport_kind kind;
	struct virtio_open_opts opts;
	char location[32];
	uint32_t device_id;
	bool is_pci; /* t.pci is valid (PCI config space reachable) */

	uint64_t wanted;    /* what the caller asked virtio_negotiate() for */
	uint64_t offered;   /* what the device offered */
	uint64_t features;  /* what we accepted and the device took */
	bool negotiated;    /* features are valid (FEATURES_OK stuck) */
	bool touched;       /* we wrote the status register at least once */
	bool driver_ok;     /* DRIVER_OK set and no reset since */
	bool reset_done;    /* virtio_reset() ran: queues await reclaim/reinit */
	bool dma_stopped;   /* virtio_stop_dma() succeeded: no DMA any more */

	enum virtio_intr_mode intr; /* the mode in force (never AUTO) */
	uint64_t next_isr_poll_ns;  /* polling mode: when to look at the ISR again */
	bool msix_shared;           /* MSI-X with one vector for all queues */
	struct virtio_irq *irqs;
	unsigned nirqs;

	unsigned nvq;
	struct virtqueue **vqs;

	void (*config_cb)(struct virtio_device *, void *);
	void *config_arg;

	union {
		struct virtio_pci_state pci;
		struct virtio_mmio_state mmio;
	} t;
	void *transport_priv; /* transports defined outside drv/ (unit tests) */
};

/* General memory: the glue only offers DMA-able allocations, which are
 * zeroed; the bus address is not needed for driver-private state. */
void *virtio_alloc(const struct vscsi_glue *g, size_t size);
void virtio_free(const struct vscsi_glue *g, void *p, size_t size);

/* Status helpers used by device.c and irq.c. */
void virtio_add_status(struct virtio_device *dev, uint8_t bits);

/* Attach to a transport the caller implements (the unit tests' simulated
 * device).  `priv` is returned by virtio_transport_priv(). */
int virtio_open_transport(const struct vscsi_glue *glue, const struct virtio_transport_ops *ops,
			  void *priv, enum virtio_transport_kind kind, const char *location,
			  uint32_t device_id, const struct virtio_open_opts *opts,
			  struct virtio_device **out);
void *virtio_transport_priv(const struct virtio_device *dev);

/* --- PCI helpers (pci_caps.c) -------------------------------------------- */

#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VENDOR 0x09

uint32_t vpci_cfg_read(struct virtio_device *dev, uint16_t off, unsigned width);
void vpci_cfg_write(struct virtio_device *dev, uint16_t off, unsigned width, uint32_t v);
/* Walk the capability list: calls fn for each capability (id, offset)
 * until fn returns true.  Bounded against loops.  Returns the offset fn
 * accepted, or 0. */
uint8_t vpci_find_cap(struct virtio_device *dev,
		      bool (*fn)(struct virtio_device *, uint8_t id, uint8_t off, void *),
		      void *arg);
/* Bus address of memory BAR `bar` (0-5), 64-bit BARs included; 0 when the
 * BAR is an I/O BAR, unassigned or the upper half of a 64-bit BAR. */
uint64_t vpci_bar_mem(struct virtio_device *dev, unsigned bar);
/* Port base of I/O BAR `bar`, 0 if it is not an assigned I/O BAR. */
uint16_t vpci_bar_io(struct virtio_device *dev, unsigned bar);
/* Set bits in / clear bits of the PCI command register. */
void vpci_command(struct virtio_device *dev, uint16_t set, uint16_t clear);
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
/* Clear Bus Master Enable (the stop_dma op of both PCI transports). */
bool vpci_stop_dma(struct virtio_device *dev);
/* Locate the MSI-X capability and map its table (dev->t.pci.msix_*). */
void vpci_msix_probe(struct virtio_device *dev);
/* MSI-X operations shared by both PCI transports. */
int vpci_msix_setup(struct virtio_device *dev, unsigned nvectors, const uint64_t *addr,
		    const uint32_t *data);
void vpci_msix_disable(struct virtio_device *dev);
unsigned vpci_msix_table_size(struct virtio_device *dev);

/* Transports: each fills dev->ops and its state, or returns an error
 * (-VSCSI_ENODEV: this transport is not usable on this device). */
int virtio_pci_modern_probe(struct virtio_device *dev);
int virtio_pci_legacy_probe(struct virtio_device *dev);
int virtio_mmio_probe(struct virtio_device *dev);

/* --- interrupts (irq.c) -------------------------------------------------- */

/* Acquire the interrupts of `mode` (MSI-X: nvq + 1 vectors, or 2 when
 * `shared`) and program the MSI-X table.  0 or a negative code; on error
 * nothing is held. */
int virtio_irq_setup(struct virtio_device *dev, enum virtio_intr_mode mode, bool shared);
void virtio_irq_teardown(struct virtio_device *dev);
/* MSI-X entry for queue `idx`, or VIRTIO_NO_VECTOR outside MSI-X mode. */
uint16_t virtio_irq_queue_vector(const struct virtio_device *dev, unsigned idx);
/* Run the callbacks for an ISR value (INTx, polling). */
void virtio_irq_dispatch_isr(struct virtio_device *dev, uint8_t isr);
void virtio_run_config_callback(struct virtio_device *dev);

#endif
