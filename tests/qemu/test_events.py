"""Issue #4, events: with HOTPLUG and CHANGE negotiated, QEMU reports hot-plug,
hot-unplug and capacity changes on the event queue; the driver acts on them
from its idle poll (the shell polls while it waits for input), so the disk
list follows QMP without a manual rescan."""
import re
import time

import qemurun


def wait_until(vm, command, pattern, timeout=20):
    """Run `command` until its output matches `pattern`; return the output."""
    deadline = time.monotonic() + timeout
    while True:
        out = vm.command(command)
        if re.search(pattern, out, re.M):
            return out
        if time.monotonic() > deadline:
            raise AssertionError(f"{command!r} never matched {pattern!r}:\n{out}\n" + vm.report())
        time.sleep(0.3)


def test_hotplug_unplug_and_resize(make_vm, disk_image, tmp_path):
    base = disk_image("base", 1 << 20, seed=1)
    grow = disk_image("grow", 2 << 20, seed=2)
    devices = (qemurun.controller("scsi0") + qemurun.disk(base, target=0)
               + qemurun.disk(grow, target=1, node="grow"))
    vm = make_vm("pc")
    vm.start("", devices)
    vm.expect_prompt()
    assert re.search(r"^sdb\s+0:0:1:0\s+512\s+disk\s+0\s+2097152\b", vm.command("lsblk"), re.M)

    # Hot-plug a disk on a new target: a TRANSPORT_RESET/RESCAN event.
    hot = disk_image("hot", 4 << 20, seed=3)
    vm.qmp.cmd("blockdev-add", driver="raw", **{"node-name": "hot"},
               file={"driver": "file", "filename": hot})
    vm.qmp.cmd("device_add", driver="scsi-hd", id="hotdev", bus="scsi0.0",
               **{"scsi-id": 5, "lun": 0, "drive": "hot"})
    wait_until(vm, "lsscsi", r"^\[0:0:5:0\]\s+disk\s+QEMU.*/dev/sdc")

    # A LUN on an existing target.
    vm.qmp.cmd("blockdev-add", driver="null-co", **{"node-name": "lun7", "size": 1 << 20})
    vm.qmp.cmd("device_add", driver="scsi-hd", id="lun7dev", bus="scsi0.0",
               **{"scsi-id": 0, "lun": 7, "drive": "lun7"})
    wait_until(vm, "lsscsi", r"^\[0:0:0:7\]\s+disk")

    # Capacity change: PARAM_CHANGE 2A/09; the new size shows without a rescan.
    vm.qmp.cmd("block_resize", **{"node-name": "grow", "size": 8 << 20})
    wait_until(vm, "lsblk", r"^sdb\s+0:0:1:0\s+512\s+disk\s+0\s+8388608\b")

    # Hot-unplug: TRANSPORT_RESET/REMOVED; the disk leaves the list.
    vm.qmp.cmd("device_del", id="hotdev")
    vm.qmp.wait_event("DEVICE_DELETED", timeout=20)
    out = vm.command("lsscsi")
    deadline = time.monotonic() + 20
    while "[0:0:5:0]" in out and time.monotonic() < deadline:
        time.sleep(0.3)
        out = vm.command("lsscsi")
    assert "[0:0:5:0]" not in out, out + vm.report()
    assert "[0:0:0:0]" in out and "[0:0:1:0]" in out and "[0:0:0:7]" in out, out

    info = vm.command("virtio")
    m = re.search(r"events=(\d+)", info)
    assert m and int(m.group(1)) >= 3, info
    vm.send_line("poweroff")
    assert vm.wait() == qemurun.EXIT_SUCCESS, vm.report()


def test_events_missed_leads_to_full_rescan(make_vm, disk_image):
    """More hot-plugs than posted event buffers while the guest is stopped:
    QEMU drops events and then reports EVENTS_MISSED; the driver rescans
    and finds every new disk."""
    base = disk_image("base", 1 << 20, seed=1)
    vm = make_vm("pc")
    vm.start("", qemurun.controller("scsi0") + qemurun.disk(base, target=0))
    vm.expect_prompt()
    vm.qmp.cmd("stop")
    for t in range(1, 13):
        vm.qmp.cmd("blockdev-add", driver="null-co", **{"node-name": f"n{t}", "size": 1 << 20})
        vm.qmp.cmd("device_add", driver="scsi-hd", id=f"d{t}", bus="scsi0.0",
                   **{"scsi-id": t, "lun": 0, "drive": f"n{t}"})
    vm.qmp.cmd("cont")
    out = wait_until(vm, "lsscsi", r"^\[0:0:12:0\]")
    for t in range(13):
        assert f"[0:0:{t}:0]" in out, out + vm.report()
    info = vm.command("virtio")
    assert re.search(r"missed=[1-9]", info), info + vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == qemurun.EXIT_SUCCESS, vm.report()


def test_rescan_finds_disks_without_hotplug_events(make_vm, disk_image):
    """hotplug=off: QEMU sends no event, so a new disk appears only after
    `rescan` (all controllers, or one)."""
    base = disk_image("base", 1 << 20, seed=1)
    ctrl = qemurun.controller("scsi0")
    ctrl[-1] += ",hotplug=off"
    vm = make_vm("pc")
    vm.start("", ctrl + qemurun.disk(base, target=0))
    vm.expect_prompt()
    negotiated = re.search(r"negotiated .*", vm.command("virtio")).group(0)
    assert "HOTPLUG" not in negotiated, negotiated
    vm.qmp.cmd("blockdev-add", driver="null-co", **{"node-name": "n4", "size": 1 << 20})
    vm.qmp.cmd("device_add", driver="scsi-hd", id="d4", bus="scsi0.0",
               **{"scsi-id": 4, "lun": 0, "drive": "n4"})
    time.sleep(1)
    assert "[0:0:4:0]" not in vm.command("lsscsi"), vm.report()
    assert "rescan: 2 LUNs present" in vm.command("rescan host0"), vm.report()
    assert re.search(r"^\[0:0:4:0\]\s+disk.*/dev/sdb", vm.command("lsscsi"), re.M), vm.report()
    vm.qmp.cmd("device_del", id="d4")
    vm.qmp.wait_event("DEVICE_DELETED", timeout=20)
    assert "rescan: 1 LUN present" in vm.command("rescan"), vm.report()
    assert "[0:0:4:0]" not in vm.command("lsscsi"), vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == qemurun.EXIT_SUCCESS, vm.report()
