/*
 * events.c - acting on the events the adapter copied out of the event
 * queue (virtio 1.2 §5.6.6.3): rescanning a target or a LUN that appeared,
 * marking one that went away, revalidating one whose capacity or medium
 * changed, and a full rescan when events were lost.  Runs from vscsi_poll()
 * only, never in interrupt context, because acting means sending commands.
 * A short history of events is kept for diagnostics.
 *
 *   TRANSPORT_RESET  RESCAN / REMOVED: the LUN, or for LUN 0 the whole
 *                    target (the spec's SHOULD); HARD: revalidate the LUN
 *   PARAM_CHANGE     ASC 2Ah (parameters changed, e.g. 2Ah/09h capacity):
 *                    revalidate
 *   ASYNC_NOTIFY     a media change (the MMC-6 event class): revalidate
 *   EVENTS_MISSED    rescan every target: new LUNs and vanished ones
 */
#include "scsi/internal.h"

static void record(struct vscsi_ctrl *c, const struct vscsi_event *ev)
{
	c->history[c->hist_count++ % VS_EVENT_HISTORY] = *ev;
}

unsigned vscsi_event_history(const struct vscsi_ctrl *c, struct vscsi_event *out, unsigned max)
{
	unsigned have = c->hist_count < VS_EVENT_HISTORY ? c->hist_count : VS_EVENT_HISTORY;
	unsigned n = have < max ? have : max;
	unsigned first = c->hist_count - n;
	for (unsigned i = 0; i < n; i++)
		out[i] = c->history[(first + i) % VS_EVENT_HISTORY];
	return n;
}

static const char *reset_reason_name(uint32_t reason)
{
	switch (reason) {
	case VS_EVENT_RESET_RESCAN: return "rescan";
	case VS_EVENT_RESET_REMOVED: return "removed";
	case VS_EVENT_RESET_HARD: return "hard";
	default: return "unknown reason";
	}
}

static void transport_reset(struct vscsi_ctrl *c, const struct vs_adapter_event *ev)
{
	vs_log(c->glue, VS_LOG_INFO, "vscsi host%u: event: transport reset (%s) for %u:%u",
	       c->host, reset_reason_name(ev->reason), ev->target, ev->lun);
	if (ev->reason == VS_EVENT_RESET_RESCAN || ev->reason == VS_EVENT_RESET_REMOVED) {
		/* For LUN 0 the event may mean the whole target. */
		if (ev->lun == 0) {
			vs_scan_target(c, ev->target, true);
		} else if (ev->reason == VS_EVENT_RESET_RESCAN) {
			vs_scan_lun(c, ev->target, ev->lun);
		} else {
			struct vscsi_lun *l = vs_lun_lookup(c, ev->target, ev->lun);
			if (l)
				vs_lun_mark_gone(l);
		}
	} else {
		/* HARD: the LUN was reset; look at it again. */
		struct vscsi_lun *l = vs_lun_lookup(c, ev->target, ev->lun);
		if (l && !l->info.gone)
			vscsi_lun_revalidate(l);
	}
}

/* One event; returns true when a full rescan is needed. */
static bool handle(struct vscsi_ctrl *c, const struct vs_adapter_event *ev)
{
	const struct vscsi_glue *g = c->glue;
	struct vscsi_event pub = { 0 };
	pub.event = ev->event;
	pub.missed = ev->missed;
	pub.reason = ev->reason;
	pub.target = ev->target;
	pub.lun = ev->lun;
	pub.time_ns = vs_now(g);
	record(c, &pub);
	c->events++;
	bool rescan_all = ev->missed;

	switch (ev->event) {
	case VS_EVENT_NONE:
		break;
	case VS_EVENT_TRANSPORT_RESET:
		if (!ev->addressed) {
			vs_log(g, VS_LOG_WARN, "vscsi host%u: transport reset event with bad LUN",
			       c->host);
			rescan_all = true;
			break;
		}
		transport_reset(c, ev);
		break;
	case VS_EVENT_PARAM_CHANGE: {
		const char *t = scsi_asc_text(ev->asc, ev->ascq);
		vs_log(g, VS_LOG_INFO, "vscsi host%u: event: parameters changed for %u:%u: "
		       "%02x/%02x %s", c->host, ev->target, ev->lun, ev->asc, ev->ascq, t ? t : "");
		struct vscsi_lun *l = ev->addressed ? vs_lun_lookup(c, ev->target, ev->lun) : NULL;
		if (l && !l->info.gone && ev->asc == 0x2a)
			vscsi_lun_revalidate(l); /* capacity / mode parameters */
		break;
	}
	case VS_EVENT_ASYNC_NOTIFY: {
		vs_log(g, VS_LOG_INFO, "vscsi host%u: event: asynchronous notification %#x for %u:%u",
		       c->host, ev->reason, ev->target, ev->lun);
		struct vscsi_lun *l = ev->addressed ? vs_lun_lookup(c, ev->target, ev->lun) : NULL;
		if (l && !l->info.gone && (ev->reason & VSCSI_AN_MEDIA_CHANGE))
			vscsi_lun_revalidate(l);
		break;
	}
	default:
		vs_log(g, VS_LOG_WARN, "vscsi host%u: unknown event %#x reason %#x", c->host,
		       ev->event, ev->reason);
		break;
	}
	return rescan_all;
}

void vs_events_process(struct vscsi_ctrl *c)
{
	struct vs_adapter *a = c->adapter;
	if (c->in_events || vs_adapter_is_dead(a))
		return;
	/* Unlocked look first (every poll pass comes here). */
	if (!vs_adapter_events_pending(a))
		return;
	c->in_events = true;
	bool rescan_all = false;
	struct vs_adapter_event ev;
	while (vs_adapter_next_event(a, &ev, &rescan_all))
		if (handle(c, &ev))
			rescan_all = true;
	if (rescan_all) {
		/* virtio 1.2 §5.6.6.3: events were lost; find new LUNs and drop
		 * vanished ones. */
		c->events_missed++;
		vs_log(c->glue, VS_LOG_INFO, "vscsi host%u: events were missed: rescanning",
		       c->host);
		vs_scan(c);
	}
	c->in_events = false;
}
