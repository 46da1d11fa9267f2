/*
 * cdrom.c - removable media: medium checks, tray lock, eject and load
 * (MMC-6 / SBC-3 START STOP UNIT with LOEJ, PREVENT ALLOW MEDIUM REMOVAL).
 * QEMU refuses to open a locked tray (05/53/02), so eject unlocks first.
 */
#include "blk/internal.h"

static int exec_simple(struct vscsi_lun *dev, const uint8_t *cdb, unsigned len)
{
	struct vscsi_cmd cmd;
	vs_memset(&cmd, 0, sizeof(cmd));
	cmd.cdb = cdb;
	cmd.cdb_len = (uint8_t)len;
	cmd.dir = VSCSI_DATA_NONE;
	cmd.queue = VSCSI_QUEUE_ANY;
	return vscsi_lun_exec(dev, &cmd, VSCSI_EXEC_RETRY_UA);
}

static int check_removable(struct vscsi_lun *dev)
{
	if (!dev)
		return -VSCSI_EINVAL;
	if (vscsi_lun_info(dev)->gone)
		return -VSCSI_ENODEV;
	if (!vscsi_blk_is_block(dev))
		return -VSCSI_EOPNOTSUPP;
	return 0;
}

int vscsi_blk_check_medium(struct vscsi_lun *dev)
{
	int r = check_removable(dev);
	if (r < 0)
		return r;
	struct vs_blk_dev *st = vs_blk_state(dev);
	if (st)
		st->needs_revalidate = false;
	r = vscsi_lun_revalidate(dev);
	if (!vscsi_lun_info(dev)->medium)
		return -VSCSI_ENOMEDIUM;
	return r;
}

int vscsi_blk_lock_medium(struct vscsi_lun *dev, bool lock)
{
	int r = check_removable(dev);
	if (r < 0)
		return r;
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned n = scsi_cdb_prevent_allow(cdb, lock);
	return exec_simple(dev, cdb, n);
}

int vscsi_blk_eject(struct vscsi_lun *dev)
{
	int r = check_removable(dev);
	if (r < 0)
		return r;
	if (!vscsi_lun_info(dev)->removable)
		return -VSCSI_EOPNOTSUPP;
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned n = scsi_cdb_prevent_allow(cdb, false);
	r = exec_simple(dev, cdb, n);
	if (r < 0)
		return r;
	n = scsi_cdb_start_stop_unit(cdb, false, true, false); /* LOEJ, START=0: open */
	r = exec_simple(dev, cdb, n);
	if (r == 0)
		vscsi_lun_revalidate(dev); /* now without medium */
	return r;
}

int vscsi_blk_load(struct vscsi_lun *dev)
{
	int r = check_removable(dev);
	if (r < 0)
		return r;
	if (!vscsi_lun_info(dev)->removable)
		return -VSCSI_EOPNOTSUPP;
	uint8_t cdb[SCSI_MAX_CDB];
	unsigned n = scsi_cdb_start_stop_unit(cdb, false, true, true); /* LOEJ, START=1: close */
	r = exec_simple(dev, cdb, n);
	if (r == 0)
		vscsi_lun_revalidate(dev);
	return r;
}
