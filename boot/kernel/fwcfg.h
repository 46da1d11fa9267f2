/*
 * fwcfg.h - QEMU's firmware configuration device (fw_cfg): named files the
 * host passes to the guest (`-fw_cfg name=opt/...,string=...` or
 * `file=...`, of any length), and the items QEMU fills itself, among them
 * the kernel command line of `-append`.
 */
#ifndef VSCSI_BOOT_KERNEL_FWCFG_H
#define VSCSI_BOOT_KERNEL_FWCFG_H

#include <stddef.h>
#include <stdint.h>

/* The size of a fw_cfg file, or -1 if fw_cfg or the file is absent. */
long fwcfg_file_size(const char *name);
/* Read a fw_cfg file by name into buf (at most len bytes).  Returns the
 * file's full size, or -1 if fw_cfg or the file is absent. */
long fwcfg_read_file(const char *name, void *buf, size_t len);
/* QEMU's copy of `-append` (the items FW_CFG_CMDLINE_SIZE / _DATA, set
 * when QEMU loads a kernel itself): its length without the terminating
 * NUL, or -1 when there is none; fwcfg_read_cmdline reads at most len
 * bytes of it. */
long fwcfg_cmdline_length(void);
void fwcfg_read_cmdline(void *buf, size_t len);

/* Per architecture: how the device is reached (x86: a selector port and a
 * data port).  Reads of an absent device return anything but "QEMU". */
void arch_fwcfg_select(uint16_t key);
void arch_fwcfg_read(void *buf, size_t len);

#endif
