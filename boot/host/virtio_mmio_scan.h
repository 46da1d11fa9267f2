/* virtio_mmio_scan.h - finding virtio-mmio transports on microvm. */
#ifndef VSCSI_BOOT_HOST_VIRTIO_MMIO_SCAN_H
#define VSCSI_BOOT_HOST_VIRTIO_MMIO_SCAN_H

#include <stdint.h>

struct mmio_dev { uint64_t base; uint32_t size; uint32_t gsi; uint32_t device_id, version; };

/* Scan the microvm virtio-mmio window for transports with a device behind
 * them (device id != 0).  Fills up to max entries, returns how many. */
unsigned mmio_scan_virtio(struct mmio_dev *out, unsigned max);

#endif
