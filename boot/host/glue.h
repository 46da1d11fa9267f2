/*
 * glue.h - the test kernel's instance of include/vscsi/glue.h, the one
 * table through which the driver reaches its host (host/glue.c).
 */
#ifndef VSCSI_BOOT_HOST_GLUE_H
#define VSCSI_BOOT_HOST_GLUE_H

struct vscsi_glue;

const struct vscsi_glue *kernel_glue(void);
void kernel_glue_set_log_level(int level);   /* default 2 (info) */

#endif
