"""Issue #3: every way QEMU can present the controller.

Each case boots the kernel with one virtio-scsi controller in a given shape
(transitional or modern-only PCI, legacy I/O BAR, INTx, polling, packed ring,
no EVENT_IDX, no indirect descriptors, 1024-entry queues, an IOMMU platform,
virtio-mmio v1 and v2), reads the whole disk in the guest and compares its
md5 with the host's, and asks QEMU itself (QMP x-query-virtio-status) which
features the driver negotiated and whether the device reached DRIVER_OK."""
import re
import zlib

import pytest

import qemurun

CASES = {
    # id: (machine, driver options, controller properties, root port,
    #      transport, interrupt mode, features that must be negotiated,
    #      features that must not be)
    "pc-transitional-modern": ("pc", "", {}, False, "pci-modern", "msix",
                               {"VERSION_1", "EVENT_IDX", "INDIRECT_DESC"}, set()),
    "pc-transitional-legacy": ("pc", "vscsi.legacy=1", {}, False, "pci-legacy", "msix",
                               {"ANY_LAYOUT"}, {"VERSION_1"}),
    "pc-disable-legacy": ("pc", "", {"disable-legacy": "on"}, False, "pci-modern", "msix",
                          {"VERSION_1"}, set()),
    "q35-root-port-ecam": ("q35", "", {}, True, "pci-modern", "msix", {"VERSION_1"}, set()),
    "intx-vectors-0": ("pc", "", {"vectors": 0}, False, "pci-modern", "intx", set(), set()),
    "legacy-intx": ("pc", "vscsi.legacy=1", {"vectors": 0}, False, "pci-legacy", "intx",
                    set(), {"VERSION_1"}),
    "polling": ("pc", "vscsi.intr=poll", {}, False, "pci-modern", "poll", set(), set()),
    "packed-ring": ("pc", "", {"packed": "on"}, False, "pci-modern", "msix",
                    {"RING_PACKED"}, set()),
    "packed-no-indirect": ("pc", "", {"packed": "on", "indirect_desc": "off"}, False,
                           "pci-modern", "msix", {"RING_PACKED"}, {"INDIRECT_DESC"}),
    "no-event-idx": ("pc", "", {"event_idx": "off"}, False, "pci-modern", "msix",
                     set(), {"EVENT_IDX"}),
    "no-indirect": ("pc", "", {"indirect_desc": "off"}, False, "pci-modern", "msix",
                    set(), {"INDIRECT_DESC"}),
    "queue-size-1024": ("pc", "", {"virtqueue_size": 1024}, False, "pci-modern", "msix",
                        set(), set()),
    "iommu-platform": ("q35", "", {"iommu_platform": "on", "disable-legacy": "on"}, False,
                       "pci-modern", "msix", {"ACCESS_PLATFORM"}, set()),
    "microvm-mmio-v1": ("microvm", "", {}, False, "mmio-v1", None, set(), {"VERSION_1"}),
    "microvm-mmio-v2": ("microvm", "", {}, False, "mmio-v2", None, {"VERSION_1"}, set()),
}

# QEMU's names for feature bits in x-query-virtio-status.
QEMU_NAMES = {
    "VERSION_1": "VIRTIO_F_VERSION_1",
    "EVENT_IDX": "VIRTIO_RING_F_EVENT_IDX",
    "INDIRECT_DESC": "VIRTIO_RING_F_INDIRECT_DESC",
    "ANY_LAYOUT": "VIRTIO_F_ANY_LAYOUT",
    "RING_PACKED": "VIRTIO_F_RING_PACKED",
    "ACCESS_PLATFORM": "VIRTIO_F_IOMMU_PLATFORM",
}


def qemu_features(vm):
    """The feature names QEMU says the guest accepted, and the status bits."""
    devices = vm.qmp.cmd("x-query-virtio")
    path = next(d["path"] for d in devices if d["name"] == "virtio-scsi")
    st = vm.qmp.cmd("x-query-virtio-status", path=path)
    gf = st["guest-features"]
    names = {s.split(":")[0] for key in ("dev-features", "transports") for s in gf.get(key, [])}
    statuses = {s.split(":")[0] for s in st["status"]["statuses"]}
    return names, statuses, st


@pytest.mark.parametrize("case", list(CASES))
def test_transport(make_vm, disk_image, md5, case):
    machine, options, props, root_port, transport, intr, want, refuse = CASES[case]
    image = disk_image("d0", 4 << 20, seed=zlib.crc32(case.encode()))
    extra = []
    if case == "microvm-mmio-v2":
        extra = ["-global", "virtio-mmio.force-legacy=false"]
    if case == "iommu-platform":
        extra = ["-device", "intel-iommu"]
    # Property names are QEMU's own (some have underscores): spell them out.
    ctrl = qemurun.controller("scsi0", machine, root_port=root_port)
    ctrl[-1] += "".join(f",{k}={v}" for k, v in props.items())
    devices = extra + ctrl + qemurun.disk(image, target=0)
    vm = make_vm(machine, name=case)
    vm.start(options, devices)
    boot_text = vm.expect_prompt()
    assert "probe failed" not in boot_text, vm.report()
    assert re.search(r"\[sda\] 8192 512-byte logical blocks", boot_text), vm.report()

    info = vm.command("virtio")
    assert f"transport={transport}" in info, vm.report()
    if intr:
        assert f"intr={intr}" in info, vm.report()
    negotiated = re.search(r"negotiated 0x[0-9a-f]+:(.*)", info).group(1).split()
    for f in want:
        assert f in negotiated, f"{f} not negotiated\n" + vm.report()
    for f in refuse:
        assert f not in negotiated, f"{f} negotiated\n" + vm.report()
    if case == "queue-size-1024":
        assert "queue size 1024" in info and "seg_max=1022" in info, vm.report()

    # The data the guest reads is the image's, byte for byte.
    out = vm.command("md5sum /dev/sda")
    assert f"{md5(image)}  /dev/sda" in out, vm.report()

    # QEMU agrees on the negotiated features and the device status.
    names, statuses, raw = qemu_features(vm)
    assert "VIRTIO_CONFIG_S_DRIVER_OK" in statuses, raw
    assert not raw.get("broken"), raw
    for f in want | refuse:
        qname = QEMU_NAMES[f]
        assert (qname in names) == (f in want), (f, names)
    vm.send_line("poweroff")
    assert vm.wait() == qemurun.EXIT_SUCCESS, vm.report()


def host_lines(info):
    """{host number: its `host<N>: ... transport=... intr=...` line}."""
    return {int(m.group(1)): m.group(0)
            for m in re.finditer(r"^host(\d+): .*$", info, re.M)}


def qemu_view(vm, qdev):
    """What QEMU says of the virtio-scsi device with id `qdev`: its PCI
    device ID, and the feature names the guest accepted."""
    ids = {}
    for bus in vm.qmp.cmd("query-pci"):
        for dev in bus["devices"]:
            ids[dev.get("qdev_id")] = dev["id"]["device"]
            for sub in (dev.get("pci_bridge") or {}).get("devices", []):
                ids[sub.get("qdev_id")] = sub["id"]["device"]
    paths = [d["path"] for d in vm.qmp.cmd("x-query-virtio") if d["name"] == "virtio-scsi"]
    for path in paths:
        # /machine/peripheral/<id>/virtio-backend
        if f"/{qdev}/" in path:
            st = vm.qmp.cmd("x-query-virtio-status", path=path)
            gf = st["guest-features"]
            names = {f.split(":")[0] for key in ("dev-features", "transports")
                     for f in gf.get(key, [])}
            return ids.get(qdev), names, st
    raise AssertionError(f"QEMU has no virtio-scsi device {qdev}: {paths}")


def test_two_controllers_of_different_transports(make_vm, disk_image, md5):
    """One controller the driver can only drive through the legacy I/O BAR
    (a transitional device with its modern interface turned off:
    disable-modern=on, no vscsi.legacy, which would apply to every
    controller) and one modern-only controller behind a PCIe root port, in
    one guest: both read, the `virtio` command and QEMU itself (QMP) agree
    on which transport each one uses."""
    a = disk_image("a", 1 << 20, seed=11)
    b = disk_image("b", 2 << 20, seed=12)
    devices = (qemurun.controller("scsi0", "q35", disable_modern="on")
               + qemurun.disk(a, bus="scsi0")
               + qemurun.controller("scsi1", "q35", root_port=True)
               + qemurun.disk(b, bus="scsi1", node="nb"))
    vm = make_vm("q35")
    vm.start("", devices)
    boot = vm.expect_prompt()
    assert "probe failed" not in boot, vm.report()
    out = vm.command("md5sum /dev/sda /dev/sdb")
    assert f"{md5(a)}  /dev/sda" in out and f"{md5(b)}  /dev/sdb" in out, vm.report()
    hosts = host_lines(vm.command("virtio"))
    assert set(hosts) == {0, 1}, vm.report()
    legacy = [h for h, line in hosts.items() if "transport=pci-legacy" in line]
    modern = [h for h, line in hosts.items() if "transport=pci-modern" in line]
    assert len(legacy) == 1 and len(modern) == 1, vm.report()
    # Which host is which: /dev/sda is on the legacy one (a, 1 MiB).
    lsblk = vm.command("lsblk")
    sda = re.search(r"^sda\s+(\d+):", lsblk, re.M)
    assert sda and int(sda.group(1)) == legacy[0], vm.report()

    # QEMU's view: scsi0 is the transitional ID 1af4:1004 driven without
    # VIRTIO_F_VERSION_1 (the legacy interface), scsi1 is 1af4:1048 with it.
    dev0, names0, raw0 = qemu_view(vm, "scsi0")
    dev1, names1, raw1 = qemu_view(vm, "scsi1")
    assert dev0 == 0x1004 and dev1 == 0x1048, (dev0, dev1)
    assert "VIRTIO_F_VERSION_1" not in names0, raw0
    assert "VIRTIO_F_VERSION_1" in names1, raw1
    for raw in (raw0, raw1):
        statuses = {s.split(":")[0] for s in raw["status"]["statuses"]}
        assert "VIRTIO_CONFIG_S_DRIVER_OK" in statuses, raw
    vm.send_line("poweroff")
    assert vm.wait() == qemurun.EXIT_SUCCESS, vm.report()
