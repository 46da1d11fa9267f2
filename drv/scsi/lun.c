/*
 * lun.c - the LUN registry: the logical units of each controller (one
 * structure per target and LUN, kept in order, never freed while the
 * controller lives so that users' pointers stay valid), their Linux-style
 * names (sda.. for direct-access and similar devices, sr0.. for CD/DVD:
 * the peripheral device types of SPC-4 §6.4.2), lookup by address or
 * name, iteration, and the callback that tells the embedding OS about
 * additions, removals and changes.
 */
#include "scsi/internal.h"

/* --- names ----------------------------------------------------------------------- */

#define MAX_DISK_NAMES 1024
#define MAX_CD_NAMES 256
static uint32_t disk_names_used[MAX_DISK_NAMES / 32];
static uint32_t cd_names_used[MAX_CD_NAMES / 32];

/* Bijective base 26, as Linux's sd: a..z, aa..zz, aaa... */
void vs_disk_name(unsigned index, char *buf, size_t cap)
{
	char tmp[8];
	unsigned n = 0;
	unsigned long v = (unsigned long)index + 1;
	while (v && n < sizeof(tmp)) {
		v--;
		tmp[n++] = (char)('a' + v % 26);
		v /= 26;
	}
	char name[12] = "sd";
	unsigned k = 2;
	while (n && k < sizeof(name) - 1)
		name[k++] = tmp[--n];
	name[k] = 0;
	vs_strlcpy(buf, name, cap);
}

static bool is_disk_type(uint8_t t)
{
	return t == SCSI_TYPE_DISK || t == SCSI_TYPE_OPTICAL || t == SCSI_TYPE_RBC ||
	       t == SCSI_TYPE_ZBC;
}

static bool is_cd_type(uint8_t t)
{
	return t == SCSI_TYPE_CDROM || t == SCSI_TYPE_WORM;
}

static int take_index(uint32_t *map, unsigned max)
{
	for (unsigned i = 0; i < max; i++) {
		if (!(map[i / 32] & (1u << (i % 32)))) {
			map[i / 32] |= 1u << (i % 32);
			return (int)i;
		}
	}
	return -1;
}

void vs_lun_assign_name(struct vscsi_lun *l)
{
	if (l->name_index >= 0)
		return;
	uint8_t t = l->info.type;
	if (is_disk_type(t)) {
		l->name_index = take_index(disk_names_used, MAX_DISK_NAMES);
		if (l->name_index >= 0)
			vs_disk_name((unsigned)l->name_index, l->info.name, sizeof(l->info.name));
	} else if (is_cd_type(t)) {
		l->name_index = take_index(cd_names_used, MAX_CD_NAMES);
		if (l->name_index >= 0)
			vs_snprintf(l->info.name, sizeof(l->info.name), "sr%d", l->name_index);
	}
}

void vs_lun_release_name(struct vscsi_lun *l)
{
	if (l->name_index < 0)
		return;
	unsigned i = (unsigned)l->name_index;
	if (l->info.name[1] == 'd')
		disk_names_used[i / 32] &= ~(1u << (i % 32));
	else
		cd_names_used[i / 32] &= ~(1u << (i % 32));
	l->name_index = -1;
	l->info.name[0] = 0;
}

/* --- the table --------------------------------------------------------------------- */

static void (*change_callback)(struct vscsi_lun *, enum vscsi_change, void *);
static void *change_arg;

void vscsi_set_change_callback(void (*cb)(struct vscsi_lun *, enum vscsi_change, void *),
			       void *arg)
{
	change_callback = cb;
	change_arg = arg;
}

void vs_notify_change(struct vscsi_lun *l, enum vscsi_change what)
{
	if (change_callback)
		change_callback(l, what, change_arg);
}

struct vscsi_lun *vs_lun_lookup(struct vscsi_ctrl *c, unsigned target, unsigned lun)
{
	for (struct vscsi_lun *l = c->luns; l; l = l->next)
		if (l->info.target == target && l->info.lun == lun)
			return l;
	return NULL;
}

/* The structure for (target, lun), created if new.  A LUN that went away
 * keeps its structure (pointers held by users stay valid); if it comes
 * back the same structure is used again. */
struct vscsi_lun *vs_lun_get(struct vscsi_ctrl *c, unsigned target, unsigned lun)
{
	struct vscsi_lun *l = vs_lun_lookup(c, target, lun);
	if (l)
		return l;
	uint64_t bus;
	l = c->glue->dma_alloc(c->glue->ctx, sizeof(*l), 64, &bus);
	if (!l)
		return NULL;
	l->ctrl = c;
	l->name_index = -1;
	l->info.host = c->host;
	l->info.target = target;
	l->info.lun = lun;
	l->info.gone = true; /* until the scan says otherwise */
	vs_lock(c->glue, c->lock);
	struct vscsi_lun **pp = &c->luns;
	while (*pp && ((*pp)->info.target < target ||
		       ((*pp)->info.target == target && (*pp)->info.lun < lun)))
		pp = &(*pp)->next;
	l->next = *pp;
	*pp = l;
	vs_unlock(c->glue, c->lock);
	return l;
}

void vs_lun_mark_gone(struct vscsi_lun *l)
{
	if (l->info.gone)
		return;
	vs_log(l->ctrl->glue, VS_LOG_INFO, "vscsi %u:0:%u:%u: %s%sremoved", l->info.host,
	       l->info.target, l->info.lun, l->info.name, l->info.name[0] ? " " : "");
	l->info.gone = true;
	vs_notify_change(l, VSCSI_CHANGE_REMOVED);
	vs_lun_release_name(l);
}

void vs_lun_free_all(struct vscsi_ctrl *c)
{
	const struct vscsi_glue *g = c->glue;
	struct vscsi_lun *l = c->luns;
	while (l) {
		struct vscsi_lun *n = l->next;
		vs_lun_release_name(l);
		if (l->upper && l->upper_release)
			l->upper_release(l);
		g->dma_free(g->ctx, l, sizeof(*l));
		l = n;
	}
	c->luns = NULL;
}

const struct vscsi_lun_info *vscsi_lun_info(const struct vscsi_lun *lun)
{
	return lun ? &lun->info : NULL;
}

struct vscsi_ctrl *vscsi_lun_ctrl(const struct vscsi_lun *lun)
{
	return lun ? lun->ctrl : NULL;
}

struct vscsi_lun *vscsi_ctrl_lun_next(struct vscsi_ctrl *c, struct vscsi_lun *prev)
{
	struct vscsi_lun *l = prev ? prev->next : c->luns;
	while (l && l->info.gone)
		l = l->next;
	return l;
}

struct vscsi_lun *vscsi_lun_next(struct vscsi_lun *prev)
{
	struct vscsi_ctrl *c = vs_ctrl_list;
	struct vscsi_lun *l = NULL;
	if (prev) {
		l = vscsi_ctrl_lun_next(prev->ctrl, prev);
		c = prev->ctrl->next;
	}
	while (!l && c) {
		l = vscsi_ctrl_lun_next(c, NULL);
		c = c->next;
	}
	return l;
}

struct vscsi_lun *vscsi_lun_at(struct vscsi_ctrl *c, unsigned target, unsigned lun)
{
	struct vscsi_lun *l = c ? vs_lun_lookup(c, target, lun) : NULL;
	return l && !l->info.gone ? l : NULL;
}

static bool parse_decimal(const char **s, unsigned *out)
{
	unsigned v = 0;
	const char *p = *s;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 1000000)
			return false;
		p++;
	}
	*out = v;
	*s = p;
	return true;
}

struct vscsi_lun *vscsi_lun_find(const char *name)
{
	if (!name || !*name)
		return NULL;
	if (name[0] >= '0' && name[0] <= '9') {
		unsigned h, ch, t, l;
		const char *p = name;
		if (!parse_decimal(&p, &h) || *p++ != ':' || !parse_decimal(&p, &ch) ||
		    *p++ != ':' || !parse_decimal(&p, &t) || *p++ != ':' ||
		    !parse_decimal(&p, &l) || *p || ch != 0)
			return NULL;
		return vscsi_lun_at(vscsi_ctrl_by_host(h), t, l);
	}
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l)) {
		const char *a = l->info.name, *b = name;
		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (!*a && !*b && l->info.name[0])
			return l;
	}
	return NULL;
}
