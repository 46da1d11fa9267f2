/*
 * devfs.c - the registry of device files (names -> ops).
 *
 * No fixed limit: nodes are allocated with malloc (newlib's heap), found
 * by a hash of their name (a table that doubles when it fills, so a lookup
 * stays cheap with hundreds of disks and their generic nodes), and listed
 * in the order they were registered (devfs_name).
 */
#include <stdlib.h>
#include <string.h>

#include "fs/devfs.h"
#include "fs/devfs_internal.h"

static struct devfs_node **order;   /* registration order */
static unsigned count, order_cap;
static struct devfs_node **buckets;
static unsigned nbuckets;           /* a power of two, or 0 */

static const char *strip_dev(const char *name)
{
	return strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;
}

/* FNV-1a. */
static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* Make room for `want` nodes: the hash table at most half full. */
static int grow(unsigned want)
{
	if (want > order_cap) {
		unsigned cap = order_cap ? order_cap * 2 : 64;
		while (cap < want)
			cap *= 2;
		struct devfs_node **o = realloc(order, cap * sizeof(*o));
		if (!o)
			return -1;
		order = o;
		order_cap = cap;
	}
	if (want * 2 > nbuckets) {
		unsigned nb = nbuckets ? nbuckets * 2 : 128;
		while (nb < want * 2)
			nb *= 2;
		struct devfs_node **b = calloc(nb, sizeof(*b));
		if (!b)
			return -1;
		for (unsigned i = 0; i < count; i++) {
			struct devfs_node *n = order[i];
			uint32_t k = hash(n->name) & (nb - 1);
			n->hash_next = b[k];
			b[k] = n;
		}
		free(buckets);
		buckets = b;
		nbuckets = nb;
	}
	return 0;
}

struct devfs_node *devfs_lookup(const char *path)
{
	if (!path || !nbuckets)
		return NULL;
	path = strip_dev(path);
	for (struct devfs_node *n = buckets[hash(path) & (nbuckets - 1)]; n; n = n->hash_next)
		if (strcmp(n->name, path) == 0)
			return n;
	return NULL;
}

int devfs_register(const char *name, const struct devfs_ops *ops, void *priv)
{
	name = strip_dev(name);
	if (!ops || !*name || strlen(name) >= sizeof(((struct devfs_node *)0)->name) ||
	    devfs_lookup(name))
		return -1;
	if (grow(count + 1) < 0)
		return -1;
	struct devfs_node *n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	strcpy(n->name, name);
	n->ops = ops;
	n->priv = priv;
	uint32_t k = hash(n->name) & (nbuckets - 1);
	n->hash_next = buckets[k];
	buckets[k] = n;
	order[count++] = n;
	return 0;
}

int devfs_unregister(const char *name)
{
	struct devfs_node *n = devfs_lookup(name);
	if (!n)
		return -1;
	struct devfs_node **pp = &buckets[hash(n->name) & (nbuckets - 1)];
	while (*pp != n)
		pp = &(*pp)->hash_next;
	*pp = n->hash_next;
	for (unsigned i = 0; i < count; i++) {
		if (order[i] == n) {
			memmove(&order[i], &order[i + 1], (count - i - 1) * sizeof(order[0]));
			count--;
			break;
		}
	}
	free(n);
	return 0;
}

const char *devfs_name(unsigned i)
{
	return i < count ? order[i]->name : NULL;
}
