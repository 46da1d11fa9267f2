/*
 * virtio_sim.h - a simulated virtio device for host unit tests.
 *
 * It plays the DEVICE side of split and packed virtqueues over the ring
 * memory the driver allocated (bus address == host pointer, as with the
 * host glue), and implements `struct virtio_transport_ops` so that the
 * driver's whole initialisation sequence runs against it.
 *
 * Well-behaved device: sim_fetch() takes the next available chain
 * (following NEXT and indirect tables, checking every driver rule it
 * can: counted in `driver_errors`), sim_complete() returns a chain with a
 * chosen length in any order, honouring and producing event suppression
 * (interrupts the device would raise are counted per queue).
 *
 * Misbehaving device: sim_push_used_raw() writes any used entry,
 * sim_set_used_idx() moves used.idx anywhere, `gen_bump_reads` changes
 * config_generation during reads, `refuse_features` / `required_features`
 * make FEATURES_OK not stick, `reject_vectors` reads back NO_VECTOR,
 * sim_set_needs_reset() raises DEVICE_NEEDS_RESET, `reset_stuck` makes the
 * status never read 0 after a reset (the device keeps its buffers), and
 * the DMA switch (`dma_stopped`) models bus mastering turned off.
 *
 * A device model (sim/scsi_target.h: a SCSI target) plugs in through on_notify:
 * it runs whenever the driver notifies a queue.
 */
#ifndef VSCSI_TESTS_VIRTIO_SIM_H
#define VSCSI_TESTS_VIRTIO_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include "virtio/virtio.h"

#define SIM_MAX_QUEUES 8
#define SIM_MAX_SEGS 1100
#define SIM_MAX_QSIZE 32768

struct sim_seg {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* One chain as the device sees it. */
struct sim_chain {
	struct sim_dev *dev; /* the device that fetched it (its DMA switch) */
	uint16_t id;      /* split: head descriptor; packed: buffer id */
	uint16_t ndesc;   /* ring descriptors it occupies */
	bool indirect;
	unsigned nseg;
	uint32_t out_bytes, in_bytes;
	struct sim_seg seg[SIM_MAX_SEGS];
};

struct sim_queue {
	bool ready;
	uint16_t max_size, size;
	uint64_t desc, driver, device;
	uint16_t vector;
	/* device-side ring state */
	uint16_t last_avail;          /* split */
	uint16_t used_idx;            /* split */
	uint16_t avail_pos, used_pos; /* packed */
	bool avail_wrap, used_wrap;   /* packed */
	uint16_t *chain_len;          /* packed: descriptors per buffer id */
	bool *outstanding;            /* chains fetched and not completed */
	bool auto_avail_event;        /* split EVENT_IDX: avail_event = last_avail after fetch (QEMU) */
	/* counters */
	unsigned notifies;   /* available-buffer notifications received */
	unsigned interrupts; /* used-buffer notifications the device raised */
	unsigned fetched, completed;
};

struct sim_dev {
	struct virtio_transport_ops ops;
	struct virtio_device *vdev;
	/* transport state */
	uint8_t status;
	uint8_t status_log[32];
	unsigned nstatus_log;
	uint64_t offered;
	uint64_t driver_features;
	bool legacy;             /* no FEATURES_OK, 32 feature bits, used.len clamped */
	bool fixed_size;         /* queue size cannot shrink (legacy PCI) */
	bool refuse_features;    /* FEATURES_OK never sticks */
	uint64_t required_features; /* FEATURES_OK sticks only if all of these were accepted */
	bool reset_stuck;        /* reset never completes: status never reads 0 */
	/* Bus mastering (the PCI command register's Bus Master Enable): once
	 * the driver turns it off (transport op stop_dma), every DMA the
	 * device attempts (sim_write_in, sim_read_out, used-ring writes of
	 * sim_complete and sim_push_used_raw) is dropped and counted. */
	bool dma_stopped;
	unsigned dma_blocked;    /* DMA attempts dropped because of it */
	unsigned stop_dma_calls;
	bool no_stop_dma;        /* the transport has no such switch (virtio-mmio) */
	uint8_t config[256];
	uint32_t generation;
	unsigned gen_bump_reads; /* bump the generation on each config read while > 0 */
	unsigned config_writes;
	unsigned nqueues;
	bool report_queue_count; /* queue_count() returns nqueues, else 0 */
	struct sim_queue q[SIM_MAX_QUEUES];
	uint8_t isr;
	/* MSI-X */
	unsigned msix_entries;   /* 0: no MSI-X */
	bool msix_enabled;
	unsigned msix_vectors;
	uint16_t config_vector;
	bool reject_vectors;     /* read back NO_VECTOR */
	/* driver rule violations the device noticed (should stay 0) */
	unsigned driver_errors;
	char last_driver_error[160];
	/* device model hook */
	void (*on_notify)(struct sim_dev *s, unsigned q, void *arg);
	void *notify_arg;
	/* runs when the device raises a used-buffer interrupt for queue q
	 * (a test delivers it: host_glue_irq_raise) */
	void (*on_interrupt)(struct sim_dev *s, unsigned q, void *arg);
	void *irq_arg;
	/* runs when a reset completes (status reads 0): the model forgets */
	void (*on_reset)(struct sim_dev *s, void *arg);
};

/* A device with `nqueues` queues of `qsize` entries offering `features`
 * (VERSION_1 is added unless `legacy`). */
void sim_init(struct sim_dev *s, unsigned nqueues, uint16_t qsize, uint64_t features, bool legacy);
void sim_destroy(struct sim_dev *s);
/* Attach the driver to it: virtio_open_transport() with the sim's ops. */
int sim_open(struct sim_dev *s, const struct vscsi_glue *g, const struct virtio_open_opts *opts,
	     struct virtio_device **out);
struct sim_dev *sim_of(struct virtio_device *dev);
/* sim_open + virtio_negotiate(wanted) + virtio_queues_create(nq, req; NULL:
 * defaults) + virtio_driver_ok.  On failure nothing stays open. */
int sim_start(struct sim_dev *s, const struct vscsi_glue *g, const struct virtio_open_opts *opts,
	      uint64_t wanted, unsigned nq, const struct virtq_request *req,
	      struct virtio_device **out);

/* --- device side of the rings ------------------------------------------- */
/* 1: *c holds the next available chain; 0: none; -1: the driver broke a
 * rule (driver_errors counts it). */
int sim_fetch(struct sim_dev *s, unsigned q, struct sim_chain *c);
/* Return chain `id` with `len` bytes written (interrupt decided per the
 * driver's suppression state).  Returns true if an interrupt was raised. */
bool sim_complete(struct sim_dev *s, unsigned q, uint16_t id, uint32_t len);
/* Copy into / out of a fetched chain's buffers (nothing once the device's
 * DMA was stopped: 0 returned, dma_blocked counted). */
uint32_t sim_write_in(const struct sim_chain *c, const void *data, uint32_t len);
uint32_t sim_read_out(const struct sim_chain *c, void *buf, uint32_t len);

/* --- misbehaviour ---------------------------------------------------------- */
/* Write a used entry with any id/len (split: at used.idx, then idx + 1;
 * packed: at the used position, advancing by `advance` descriptors). */
void sim_push_used_raw(struct sim_dev *s, unsigned q, uint32_t id, uint32_t len, uint16_t advance);
void sim_set_used_idx(struct sim_dev *s, unsigned q, uint16_t idx);
/* Device-side notification suppression (driver -> device kicks). */
void sim_set_no_notify(struct sim_dev *s, unsigned q, bool on);   /* split, no EVENT_IDX */
void sim_set_avail_event(struct sim_dev *s, unsigned q, uint16_t idx); /* split EVENT_IDX */
void sim_set_device_event(struct sim_dev *s, unsigned q, uint16_t flags, uint16_t off_wrap); /* packed */
/* DEVICE_NEEDS_RESET plus a config interrupt. */
void sim_set_needs_reset(struct sim_dev *s);
/* Change config bytes and the generation, raise a config interrupt. */
void sim_config_change(struct sim_dev *s, uint32_t off, const void *data, uint32_t len);

#endif
