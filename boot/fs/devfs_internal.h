/* devfs_internal.h - shared by devfs.c (registry) and syscalls.c (fds). */
#ifndef VSCSI_BOOT_DEVFS_INTERNAL_H
#define VSCSI_BOOT_DEVFS_INTERNAL_H

#include "fs/devfs.h"

struct devfs_node {
	char name[32];
	const struct devfs_ops *ops;
	void *priv;
	struct devfs_node *hash_next; /* the next node of its hash bucket */
};

/* The node registered under `path` ("sda" or "/dev/sda"), or NULL.  The
 * pointer is valid until the name is unregistered: take what is needed
 * (ops, priv) at once. */
struct devfs_node *devfs_lookup(const char *path);

#endif
