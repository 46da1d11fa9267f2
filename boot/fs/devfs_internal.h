/* devfs_internal.h - shared by devfs.c (registry) and syscalls.c (fds). */
#ifndef VSCSI_BOOT_DEVFS_INTERNAL_H
#define VSCSI_BOOT_DEVFS_INTERNAL_H

#include "fs/devfs.h"

struct devfs_node {
	char name[32];
	const struct devfs_ops *ops;
	void *priv;
};

struct devfs_node *devfs_lookup(const char *path);

#endif
