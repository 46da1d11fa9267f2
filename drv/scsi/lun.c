/*
 * lun.c - the LUN registry: the logical units of each controller (one
 * structure per target and LUN, kept in order, never freed while the
 * controller lives so that users' pointers stay valid), their Linux-style
 * names (sda.. for direct-access and similar devices, sr0.. for CD/DVD:
 * the peripheral device types of SPC-4 §6.4.2; and sg0.. for every LUN,
 * whatever its type, as Linux's generic SCSI driver numbers them), lookup
 * by address or name, iteration, and the callback that tells the
 * embedding OS about additions, removals and changes.  (The persistent
 * by-id names are ident.c's.)
 */
#include "scsi/internal.h"

/* --- names ----------------------------------------------------------------------- */

/*
 * Each name family is a bitmap of the numbers in use; a new LUN takes the
 * lowest free number, as Linux does for sd, sr and sg.  The bounds are
 * far above what one machine attaches (every two- and three-letter disk
 * name; Linux's sr stops at 256 drives), and the maps are small: 18278
 * disk names cost 2.3 KiB, 32768 generic names 4 KiB.
 */
#define MAX_DISK_NAMES (26 + 26 * 26 + 26 * 26 * 26) /* sda .. sdzzz */
#define MAX_CD_NAMES 256
#define MAX_SG_NAMES 32768
static uint32_t disk_names_used[(MAX_DISK_NAMES + 31) / 32];
static uint32_t cd_names_used[MAX_CD_NAMES / 32];
static uint32_t sg_names_used[MAX_SG_NAMES / 32];

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
	for (unsigned w = 0; w * 32 < max; w++) {
		if (map[w] == 0xffffffffu)
			continue; /* a full word: 32 names at once */
		for (unsigned b = 0; b < 32 && w * 32 + b < max; b++) {
			if (!(map[w] & (1u << b))) {
				map[w] |= 1u << b;
				return (int)(w * 32 + b);
			}
		}
	}
	return -1;
}

static void give_index(uint32_t *map, unsigned max, unsigned i)
{
	if (i < max)
		map[i / 32] &= ~(1u << (i % 32));
}

/* The number in a generic name ("sg12" -> 12), -1 when there is none. */
static int sg_number(const char *name)
{
	if (name[0] != 's' || name[1] != 'g' || !name[2])
		return -1;
	int v = 0;
	for (const char *p = name + 2; *p; p++) {
		if (*p < '0' || *p > '9' || v > MAX_SG_NAMES)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

void vs_lun_assign_name(struct vscsi_lun *l)
{
	if (!l->info.sg_name[0]) {
		/* Every LUN, disks and CDs included, as Linux's sg attaches to
		 * every SCSI device: pass-through reaches each one. */
		int i = take_index(sg_names_used, MAX_SG_NAMES);
		if (i >= 0)
			vs_snprintf(l->info.sg_name, sizeof(l->info.sg_name), "sg%d", i);
		else
			vs_log(l->ctrl->glue, VS_LOG_WARN, "vscsi %u:0:%u:%u: no generic name left "
			       "(%u in use)", l->info.host, l->info.target, l->info.lun, MAX_SG_NAMES);
	}
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
	if (l->name_index < 0 && (is_disk_type(t) || is_cd_type(t)))
		vs_log(l->ctrl->glue, VS_LOG_WARN, "vscsi %u:0:%u:%u: no %s name left",
		       l->info.host, l->info.target, l->info.lun, is_cd_type(t) ? "sr" : "sd");
}

void vs_lun_release_name(struct vscsi_lun *l)
{
	int sg = sg_number(l->info.sg_name);
	if (sg >= 0)
		give_index(sg_names_used, MAX_SG_NAMES, (unsigned)sg);
	l->info.sg_name[0] = 0;
	if (l->name_index < 0)
		return;
	unsigned i = (unsigned)l->name_index;
	if (l->info.name[1] == 'd')
		give_index(disk_names_used, MAX_DISK_NAMES, i);
	else
		give_index(cd_names_used, MAX_CD_NAMES, i);
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

/* `a` is a name (not empty) and `b` is the same string. */
static bool same_name(const char *a, const char *b)
{
	if (!*a)
		return false;
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return !*a && !*b;
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
	for (struct vscsi_lun *l = vscsi_lun_next(NULL); l; l = vscsi_lun_next(l))
		if (same_name(l->info.name, name) || same_name(l->info.sg_name, name))
			return l;
	return NULL;
}
