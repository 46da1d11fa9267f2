/*
 * drivers.h - driver bring-up in the test kernel: options from the command
 * line, probing every controller, and the boot lines Linux prints.
 */
#ifndef VSCSI_BOOT_DRIVERS_H
#define VSCSI_BOOT_DRIVERS_H

#include <stddef.h>
#include <stdint.h>

struct vscsi_lun_info;

/* Parse one `vscsi.KEY=VALUE` word; 0, or -1 after printing why. */
int drivers_parse_option(const char *word);
/* Probe and scan every virtio-scsi controller (PCI and virtio-mmio) with
 * the options parsed so far, printing what was found. */
void drivers_start(void);
/* Controllers whose probe failed during drivers_start(). */
int drivers_probe_failures(void);
/* "67.1 MB/64.0 MiB" */
void format_capacity(uint64_t bytes, char *out, size_t size);
/* The two boot lines Linux prints for a new LUN. */
void print_lun_found(const struct vscsi_lun_info *li);

#endif
