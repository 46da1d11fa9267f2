/*
 * lun.c - LUN addressing (virtio 1.2 §5.6.6.1, SAM-5 §4.7) and the device
 * table: LUN structures per controller, Linux-style names (sda.., sr0..),
 * iteration and lookup.
 */
#include "scsi/internal.h"

/*
 * {1, target, 0x40 | lun >> 8, lun & 0xff, 0, 0, 0, 0}: flat-space
 * addressing for every LUN, as Linux does; QEMU accepts it for 0..16383.
 */
void vs_lun_encode(uint8_t out[8], unsigned target, unsigned lun)
{
	out[0] = 1;
	out[1] = (uint8_t)target;
	out[2] = (uint8_t)(0x40 | ((lun >> 8) & 0x3f));
	out[3] = (uint8_t)lun;
	out[4] = out[5] = out[6] = out[7] = 0;
}

/* A single-level LUN structure's first two bytes (SAM-5 §4.7.7):
 * method 00b peripheral (bus 0 only), 01b flat space; & 0x3fff. */
static int vs_lun_level_decode(uint8_t b0, uint8_t b1)
{
	switch (b0 >> 6) {
	case 0:
		return (b0 & 0x3f) ? -1 : b1;
	case 1:
		return ((b0 & 0x3f) << 8) | b1;
	default:
		return -1;
	}
}

int vs_lun_decode(const uint8_t in[8], unsigned *target, unsigned *lun)
{
	if (in[0] != 1)
		return -VSCSI_EINVAL;
	int l = vs_lun_level_decode(in[2], in[3]);
	if (l < 0)
		return -VSCSI_EINVAL;
	*target = in[1];
	*lun = (unsigned)l;
	return 0;
}

int scsi_lun_entry_decode(const uint8_t e[8])
{
	/* Second and later levels must be empty: the driver addresses one level. */
	for (int i = 2; i < 8; i++)
		if (e[i])
			return -1;
	return vs_lun_level_decode(e[0], e[1]);
}

int scsi_report_luns_parse(const uint8_t *buf, size_t got, uint16_t *luns, unsigned max,
			   uint32_t *listed)
{
	if (!buf || got < 8) {
		if (listed)
			*listed = 0;
		return -VSCSI_EINVAL;
	}
	uint32_t list_len = vs_be32(buf);
	if (listed)
		*listed = list_len / 8;
	size_t avail = got - 8;
	if (avail > list_len)
		avail = list_len; /* bytes past the list are not entries */
	unsigned n = 0;
	for (size_t off = 0; off + 8 <= avail; off += 8) {
		int l = scsi_lun_entry_decode(buf + 8 + off);
		if (l < 0)
			continue;
		bool dup = false;
		for (unsigned i = 0; i < n && !dup; i++)
			dup = luns[i] == l;
		if (dup)
			continue;
		if (n < max)
			luns[n++] = (uint16_t)l;
	}
	return (int)n;
}

/* --- names ----------------------------------------------------------------------- */

#define VS_MAX_DISK_NAMES 1024
#define VS_MAX_CD_NAMES 256
static uint32_t vs_disk_used[VS_MAX_DISK_NAMES / 32];
static uint32_t vs_cd_used[VS_MAX_CD_NAMES / 32];

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

static bool vs_is_disk_type(uint8_t t)
{
	return t == SCSI_TYPE_DISK || t == SCSI_TYPE_OPTICAL || t == SCSI_TYPE_RBC ||
	       t == SCSI_TYPE_ZBC;
}

static bool vs_is_cd_type(uint8_t t)
{
	return t == SCSI_TYPE_CDROM || t == SCSI_TYPE_WORM;
}

static int vs_take_index(uint32_t *map, unsigned max)
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
	if (vs_is_disk_type(t)) {
		l->name_index = vs_take_index(vs_disk_used, VS_MAX_DISK_NAMES);
		if (l->name_index >= 0)
			vs_disk_name((unsigned)l->name_index, l->info.name, sizeof(l->info.name));
	} else if (vs_is_cd_type(t)) {
		l->name_index = vs_take_index(vs_cd_used, VS_MAX_CD_NAMES);
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
		vs_disk_used[i / 32] &= ~(1u << (i % 32));
	else
		vs_cd_used[i / 32] &= ~(1u << (i % 32));
	l->name_index = -1;
	l->info.name[0] = 0;
}

/* --- the table --------------------------------------------------------------------- */

static void (*vs_change_cb)(struct vscsi_lun *, enum vscsi_change, void *);
static void *vs_change_arg;

void vscsi_set_change_callback(void (*cb)(struct vscsi_lun *, enum vscsi_change, void *),
			       void *arg)
{
	vs_change_cb = cb;
	vs_change_arg = arg;
}

void vs_notify_change(struct vscsi_lun *l, enum vscsi_change what)
{
	if (vs_change_cb)
		vs_change_cb(l, what, vs_change_arg);
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

static bool vs_parse_uint(const char **s, unsigned *out)
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
		if (!vs_parse_uint(&p, &h) || *p++ != ':' || !vs_parse_uint(&p, &ch) ||
		    *p++ != ':' || !vs_parse_uint(&p, &t) || *p++ != ':' ||
		    !vs_parse_uint(&p, &l) || *p || ch != 0)
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
