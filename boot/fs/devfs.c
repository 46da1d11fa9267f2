/* devfs.c - the registry of device files (names -> ops). */
#include <string.h>

#include "fs/devfs.h"
#include "fs/devfs_internal.h"

#define MAX_DEVS 64

static struct devfs_node nodes[MAX_DEVS];

static const char *strip_dev(const char *name)
{
	return strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;
}

int devfs_register(const char *name, const struct devfs_ops *ops, void *priv)
{
	name = strip_dev(name);
	if (!ops || !*name || strlen(name) >= sizeof nodes[0].name || devfs_lookup(name))
		return -1;
	for (unsigned i = 0; i < MAX_DEVS; i++) {
		if (nodes[i].ops)
			continue;
		strcpy(nodes[i].name, name);
		nodes[i].ops = ops;
		nodes[i].priv = priv;
		return 0;
	}
	return -1;
}

int devfs_unregister(const char *name)
{
	struct devfs_node *n = devfs_lookup(strip_dev(name));
	if (!n)
		return -1;
	n->ops = NULL;
	n->name[0] = 0;
	return 0;
}

struct devfs_node *devfs_lookup(const char *path)
{
	path = strip_dev(path);
	for (unsigned i = 0; i < MAX_DEVS; i++)
		if (nodes[i].ops && strcmp(nodes[i].name, path) == 0)
			return &nodes[i];
	return NULL;
}

const char *devfs_name(unsigned i)
{
	for (unsigned k = 0; k < MAX_DEVS; k++)
		if (nodes[k].ops && i-- == 0)
			return nodes[k].name;
	return NULL;
}
