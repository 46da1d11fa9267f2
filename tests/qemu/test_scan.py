"""Issue #4: the virtio-scsi core: scanning sparse and large topologies,
addressing limits, VPD identifiers, 4096-byte blocks, unit attentions and
task management functions against real in-flight commands."""
import re
import time

import pytest

import qemurun

SUCCESS = qemurun.EXIT_SUCCESS


def null_disk(node, target, lun, bus="scsi0", size=16 << 20, **props):
    return (qemurun.blockdev_null(node, size=size)
            + qemurun.scsi_hd(node, target, lun, bus, **props))


def lsscsi_rows(text):
    """[(H, C, T, L, type, node)] from lsscsi output lines."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\[(\d+):(\d+):(\d+):(\d+)\]\s+(\S+)\s", line)
        if not m:
            continue
        node = next((w for w in line.split() if w.startswith("/dev/") or w == "-"), None)
        rows.append(tuple(int(x) for x in m.groups()[:4]) + (m.group(5), node))
    return rows


def test_sparse_topology(make_vm, tmp_path):
    """LUN 300 on target 0, LUN 1 alone on target 3, a CD-ROM at 2:0 and an
    empty target 1: lsscsi lists exactly what QEMU was given."""
    iso = tmp_path / "empty.iso"
    iso.write_bytes(b"\0" * (2048 * 16))
    devices = (qemurun.controller("scsi0") + null_disk("a", 0, 0) + null_disk("b", 0, 300)
               + null_disk("c", 3, 1) + qemurun.cdrom(str(iso), target=2))
    vm = make_vm("pc")
    status, text = vm.run_script("lsscsi", devices)
    assert status == SUCCESS, vm.report()
    rows = lsscsi_rows(text.split("vscsi> lsscsi", 1)[1])
    assert rows == [
        (0, 0, 0, 0, "disk", "/dev/sda"),
        (0, 0, 0, 300, "disk", "/dev/sdb"),
        (0, 0, 2, 0, "cd/dvd", "/dev/sr0"),
        (0, 0, 3, 1, "disk", "/dev/sdc"),
    ], vm.report()


def test_highest_target_and_lun(make_vm):
    """Targets and LUNs are inclusive bounds: 255 and 16383 are reachable."""
    devices = (qemurun.controller("scsi0") + null_disk("a", 0, 0)
               + null_disk("z", 255, 16383, size=1 << 20))
    vm = make_vm("pc")
    status, text = vm.run_script("lsscsi -s; lsblk", devices)
    assert status == SUCCESS, vm.report()
    rows = lsscsi_rows(text.split("vscsi> lsscsi", 1)[1])
    assert (0, 0, 255, 16383, "disk", "/dev/sdb") in rows, vm.report()
    assert re.search(r"^sdb\s+0:0:255:16383\s+512\s+disk\s+0\s+1048576\b", text, re.M), vm.report()


def test_300_disks_on_4_controllers(make_vm):
    """4 controllers x 75 disks: all 300 listed with the right H:C:T:L,
    named sda..sdkn in scan order, and the boot reports the scan time."""
    devices = []
    for h in range(4):
        devices += qemurun.controller(f"scsi{h}")
        for t in range(75):
            devices += null_disk(f"n{h}-{t}", t, 0, bus=f"scsi{h}", size=1 << 20)
    vm = make_vm("pc", timeout=180)
    status, text = vm.run_script("vscsi.verbose=0 lsscsi", devices, timeout=180)
    assert status == SUCCESS, vm.report()
    rows = lsscsi_rows(text.split("vscsi> lsscsi", 1)[1])
    assert len(rows) == 300, vm.report()
    assert [r[:4] for r in rows] == [(h, 0, t, 0) for h in range(4) for t in range(75)]

    def name(i):  # Linux sd naming: a..z, aa..az, ba..
        s = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            s = chr(ord("a") + r) + s
        return "/dev/sd" + s
    assert [r[5] for r in rows] == [name(i) for i in range(300)], vm.report()
    assert rows[-1][5] == "/dev/sdkn"
    times = re.findall(r"host(\d) at .*scan took ([\d.]+) ms", text)
    assert len(times) == 4, vm.report()
    print("scan times (ms):", times, "total:",
          re.search(r"brought up in (\d+) ms", text).group(1))


def sd_name(i):
    """Linux sd naming: a..z, aa..az, ba.. (index 0 is sda)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(ord("a") + r) + s
    return "sd" + s


def test_every_disk_gets_a_node(make_vm, disk_image, md5):
    """300 disks on 4 controllers (the old registry stopped at 62 block
    nodes): the last one, /dev/sdkn, reads back the host's bytes, and so
    does a disk hot-plugged after boot (/dev/sdko); every LUN also has its
    generic node, the last being /dev/sg300."""
    last = disk_image("last", 1 << 20, seed=300)
    hot = disk_image("hot", 1 << 20, seed=301)
    devices = []
    for h in range(4):
        devices += qemurun.controller(f"scsi{h}")
        for t in range(75):
            if (h, t) == (3, 74):
                devices += qemurun.disk(last, target=t, bus=f"scsi{h}", node="last")
            else:
                devices += null_disk(f"n{h}-{t}", t, 0, bus=f"scsi{h}", size=1 << 20)
    assert sd_name(299) == "sdkn" and sd_name(300) == "sdko"
    vm = make_vm("pc", timeout=180)
    vm.start("vscsi.verbose=0", devices)
    vm.qmp
    vm.expect_prompt(timeout=180)
    out = vm.command("md5sum /dev/sdkn", timeout=60)
    assert f"{md5(last)}  /dev/sdkn" in out, out + vm.report()

    vm.qmp.cmd("blockdev-add", driver="raw", **{"node-name": "hot"},
               file={"driver": "file", "filename": hot})
    vm.qmp.cmd("device_add", driver="scsi-hd", id="hotdev", bus="scsi3.0",
               **{"scsi-id": 75, "lun": 0, "drive": "hot"})
    deadline = time.monotonic() + 30
    while True:
        out = vm.command("lsscsi -g", timeout=60)
        if "[3:0:75:0]" in out or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert re.search(r"^\[3:0:75:0\]\s+disk\s+QEMU.*/dev/sdko\s+/dev/sg300\s*$", out, re.M), \
        out[-2000:] + vm.report()
    assert re.search(r"^\[3:0:74:0\]\s+disk\s+QEMU.*/dev/sdkn\s+/dev/sg299\s*$", out, re.M), out[-2000:]
    out = vm.command("md5sum /dev/sdko", timeout=60)
    assert f"{md5(hot)}  /dev/sdko" in out, out + vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()


def test_virtio_shows_config_and_derived_limits(make_vm):
    """A device whose configuration says max_sectors 0 and cmd_per_lun 0:
    `virtio` prints what the device said on the config line, and what the
    driver uses instead (65535 sectors, one command per LUN) on the limits
    line."""
    ctrl = qemurun.controller("scsi0")
    ctrl[-1] += ",max_sectors=0,cmd_per_lun=0"
    vm = make_vm("pc")
    status, text = vm.run_script("virtio", ctrl + null_disk("a", 0, 0))
    assert status == SUCCESS, vm.report()
    config = re.search(r"^  config: (.*)$", text, re.M)
    limits = re.search(r"^  limits: (.*)$", text, re.M)
    assert config and limits, vm.report()
    assert " max_sectors=0 " in config.group(1) and " cmd_per_lun=0 " in config.group(1), \
        config.group(0)
    assert "max_sectors=65535" in limits.group(1), limits.group(0)
    assert "cmd_per_lun=1" in limits.group(1), limits.group(0)


def test_tmf_tag_must_fit_in_64_bits(make_vm):
    """`tmf DEV abort TAG`: 2^64-1 is sent, 2^64 (decimal or hex) is refused
    before anything reaches the device."""
    vm = make_vm("pc")
    status, text = vm.run_script(
        "tmf sda abort 18446744073709551615; tmf sda abort 18446744073709551616; "
        "tmf sda abort 0x10000000000000000; virtio",
        qemurun.controller("scsi0") + null_disk("a", 0, 0))
    assert "tmf: ABORT TASK -> OK (0)" in text, vm.report()
    assert "tmf: invalid number '18446744073709551616'" in text, vm.report()
    assert "tmf: invalid number '0x10000000000000000'" in text, vm.report()
    assert len(re.findall(r"ABORT TASK to 0:0 \(tag", text)) == 1, vm.report()
    assert status == qemurun.EXIT_FAILURE, vm.report()


def udev_serial(prefix, vendor, model, ident):
    """ID_SERIAL as systemd's scsi_id builds it for a vendor-specific VPD 83h
    designator (prefix "0") or a VPD 80h serial (prefix "S"): the prefix,
    INQUIRY's 8-byte vendor and 16-byte product fields as sent, the
    identifier; then each run of blanks becomes one '_' (leading and
    trailing ones dropped)."""
    raw = prefix + vendor.ljust(8) + model.ljust(16) + ident
    return "_".join(raw.split())


def test_vpd_identifiers(make_vm):
    """by-id gives the names udev gives on Linux (60-persistent-storage.rules:
    scsi-$ID_SERIAL and wwn-$ID_WWN_WITH_EXTENSION, from scsi_id): the NAA
    designator first; else QEMU's vendor-specific designator (the serial,
    or the -drive id when there is no serial) behind vendor and product;
    else the VPD 80h serial behind an S; nothing when the disk has none."""
    devices = (qemurun.controller("scsi0")
               + null_disk("a", 0, 0, serial="SER0", wwn="0x5000c50015ea71ac")
               + null_disk("b", 1, 0, serial="OTHER-7")
               + ["-drive", "if=none,id=plaindrive,driver=null-co,size=1048576",
                  "-device", "scsi-hd,bus=scsi0.0,scsi-id=2,lun=0,drive=plaindrive"]
               # device_id empty: QEMU then sends no VPD 83h designator at all
               + qemurun.blockdev_null("d", size=16 << 20)
               + ["-device", "scsi-hd,bus=scsi0.0,scsi-id=3,lun=0,drive=d,serial=NODEVID,device_id="]
               + null_disk("e", 4, 0)
               + ["-device", "scsi-cd,bus=scsi0.0,scsi-id=5,lun=0,serial=CD 42"])
    vm = make_vm("pc")
    status, text = vm.run_script("lsscsi -w; lsscsi -i; by-id", devices)
    assert status == SUCCESS, vm.report()
    assert re.search(r"^\[0:0:0:0\].*0x5000c50015ea71ac\s+/dev/sda", text, re.M), vm.report()
    byid = text.split("vscsi> by-id", 1)[1]
    links = dict(re.findall(r"^(\S+) -> (\S+)$", byid, re.M))
    want = {
        "scsi-35000c50015ea71ac": "sda",        # NAA beats the vendor-specific one
        "wwn-0x5000c50015ea71ac": "sda",
        "scsi-" + udev_serial("0", "QEMU", "QEMU HARDDISK", "OTHER-7"): "sdb",
        "scsi-" + udev_serial("0", "QEMU", "QEMU HARDDISK", "plaindrive"): "sdc",
        "scsi-" + udev_serial("S", "QEMU", "QEMU HARDDISK", "NODEVID"): "sdd",
        "scsi-" + udev_serial("0", "QEMU", "QEMU CD-ROM", "CD 42"): "sr0",
    }
    assert links == want, vm.report()
    assert "scsi-0QEMU_QEMU_HARDDISK_OTHER-7" in want      # the rule, spelled out once
    # lsscsi -i shows the same identifier (udev's ID_SERIAL), "-" for sde.
    lsscsi_i = text.split("vscsi> lsscsi -i", 1)[1].split("vscsi> ", 1)[0]
    assert re.search(r"^\[0:0:0:0\].*/dev/sda\s+35000c50015ea71ac$", lsscsi_i, re.M), lsscsi_i
    assert re.search(r"^\[0:0:3:0\].*/dev/sdd\s+SQEMU_QEMU_HARDDISK_NODEVID$", lsscsi_i, re.M), lsscsi_i
    assert re.search(r"^\[0:0:4:0\].*/dev/sde\s+-$", lsscsi_i, re.M), lsscsi_i


def test_4096_byte_blocks(make_vm):
    devices = (qemurun.controller("scsi0") + qemurun.blockdev_null("a", size=64 << 20)
               + ["-device", "scsi-hd,bus=scsi0.0,scsi-id=0,lun=0,drive=a,"
                             "logical_block_size=4096,physical_block_size=4096"])
    vm = make_vm("pc")
    status, text = vm.run_script("lsblk", devices)
    assert status == SUCCESS, vm.report()
    assert re.search(r"\[sda\] 16384 4096-byte logical blocks", text), vm.report()
    assert re.search(r"^sda\s+0:0:0:0\s+4096\s+disk\s+0\s+67108864\b", text, re.M), vm.report()


def test_boot_unit_attention_on_first_test_unit_ready(make_vm):
    """The virtio reset at probe leaves 06/29/00 pending on every LUN: the
    scan's first TEST UNIT READY meets it (logged at verbose 2), retries,
    and the disk comes up ready."""
    devices = qemurun.controller("scsi0") + null_disk("a", 0, 0)
    vm = make_vm("pc")
    status, text = vm.run_script("vscsi.verbose=2 lsblk", devices)
    assert re.search(r"0:0:0:0: TEST UNIT READY: unit attention 29/00 \(power on, reset", text, re.I), \
        vm.report()
    assert re.search(r"^sda\s+0:0:0:0\s+512\s+disk", text, re.M), vm.report()
    assert status == SUCCESS, vm.report()


def test_unit_attention_after_lun_reset_is_retried(make_vm, disk_image, md5):
    """A LUN reset leaves UNIT ATTENTION 06/29/00 pending (as every boot's
    virtio reset does); the next read sees it, the driver retries, and the
    data still arrives intact."""
    image = disk_image("d0", 1 << 20, seed=5)
    vm = make_vm("pc")
    status, text = vm.run_script("tmf sda lun-reset; md5sum /dev/sda",
                                 qemurun.controller("scsi0") + qemurun.disk(image))
    assert "LOGICAL UNIT RESET -> OK" in text, vm.report()
    assert f"{md5(image)}  /dev/sda" in text, vm.report()
    assert status == SUCCESS, vm.report()


THROTTLED = ["-object", "throttle-group,id=tg0,x-iops-total=1,x-iops-total-max=1",
             "-blockdev", "driver=null-co,node-name=n0,size=67108864,read-zeroes=on",
             "-blockdev", "driver=throttle,node-name=th0,throttle-group=tg0,file=n0",
             "-device", "scsi-hd,drive=th0,bus=scsi0.0,scsi-id=0,lun=0"]


@pytest.mark.parametrize("tmf,tmf_response,effect", [
    ("abort", "OK", {3: "ABORTED"}),
    ("query", "FUNCTION_SUCCEEDED", {}),
    ("abort-set", "OK", {1: "ABORTED", 2: "ABORTED", 3: "ABORTED"}),
    ("clear-set", "OK", {1: "ABORTED", 2: "ABORTED", 3: "ABORTED"}),
    ("lun-reset", "OK", {1: "RESET", 2: "RESET", 3: "RESET"}),
    ("target-reset", "OK", {1: "RESET", 2: "RESET", 3: "RESET"}),
    ("query-set", "FUNCTION_SUCCEEDED", {}),
])
def test_tmf_against_inflight_commands(make_vm, tmf, tmf_response, effect):
    """A 1-IOPS throttle keeps READs queued inside QEMU; the TMF acts on
    them and each READ ends exactly once with the expected response."""
    vm = make_vm("pc")
    status, text = vm.run_script(f"vscsi.verbose=0 tmf-inflight sda {tmf} 4",
                                 qemurun.controller("scsi0") + THROTTLED)
    assert status == SUCCESS, vm.report()
    assert re.search(rf"^tmf: .* -> {tmf_response} ", text, re.M), vm.report()
    ends = dict((int(i), r) for i, r in re.findall(r"^cmd (\d) tag \S+: response (\w+)", text, re.M))
    assert sorted(ends) == [0, 1, 2, 3], vm.report()
    for i in range(4):
        assert ends[i] == effect.get(i, "OK"), (i, ends, vm.report())


def test_tmf_on_missing_lun_and_target(make_vm):
    devices = qemurun.controller("scsi0") + null_disk("a", 0, 0)
    vm = make_vm("pc")
    status, text = vm.run_script(
        "tmf 0:0:0:5 lun-reset; tmf 0:0:7:0 lun-reset; tmf sda clear-aca; tmf sda lun-reset",
        devices)
    assert re.search(r"LOGICAL UNIT RESET -> INCORRECT_LUN \(12\)", text), vm.report()
    assert re.search(r"LOGICAL UNIT RESET -> BAD_TARGET \(3\)", text), vm.report()
    assert re.search(r"CLEAR ACA -> FUNCTION_REJECTED \(11\)", text), vm.report()
    assert re.search(r"tmf sda lun-reset\n(?:vscsi: .*\n)*tmf: LOGICAL UNIT RESET -> OK \(0\)", text), vm.report()
    assert status == qemurun.EXIT_FAILURE, vm.report()   # three of them were refused


@pytest.mark.parametrize("intr", ["msix", "intx", "poll"])
def test_async_closed_loop_reads_complete(make_vm, intr):
    """The asynchronous path under load: `bench` keeps 1 and 16 reads in
    flight, resubmitting from completions (in interrupt context with MSI-X
    and INTx); every read must complete without error.  No timing is
    asserted: speed is measured by `make bench`, not by tests."""
    devices = (qemurun.controller("scsi0") + qemurun.blockdev_null("n0", size=64 << 20)
               + qemurun.scsi_hd("n0", 0, 0))
    vm = make_vm("pc")
    status, text = vm.run_script(f"vscsi.intr={intr} vscsi.verbose=0 bench -t 1 -q 1,16", devices)
    rows = re.findall(r"^bench qd=(\d+) ios=(\d+) errors=(\d+)", text, re.M)
    assert [r[0] for r in rows] == ["1", "16"], vm.report()
    assert all(int(r[1]) > 0 and r[2] == "0" for r in rows), vm.report()
    assert status == SUCCESS, vm.report()


def test_async_notification_requests(make_vm):
    """AN_QUERY / AN_SUBSCRIBE go out on the control queue with exact sizes;
    QEMU supports no AN events and answers OK with event_actual 0."""
    devices = qemurun.controller("scsi0") + null_disk("a", 0, 0)
    vm = make_vm("pc")
    status, text = vm.run_script("an sda query; an sda subscribe 0x10; virtio", devices)
    assert "an: query events 0x12 -> OK (0), event_actual 0x0" in text, vm.report()
    assert "an: subscribe events 0x10 -> OK (0), event_actual 0x0" in text, vm.report()
    assert status == SUCCESS, vm.report()


def test_every_request_queue_is_used(make_vm, disk_image, md5):
    """num_queues=4: the driver sets up all four request queues (each with
    its own MSI-X vector) and reads through them."""
    image = disk_image("d0", 2 << 20, seed=9)
    ctrl = qemurun.controller("scsi0")
    ctrl[-1] += ",num_queues=4"
    vm = make_vm("pc")
    status, text = vm.run_script("virtio; md5sum /dev/sda; bench -t 1 -q 8",
                                 ctrl + qemurun.disk(image))
    assert "control event + 4 request (device has 4)" in text, vm.report()
    assert f"{md5(image)}  /dev/sda" in text, vm.report()
    assert status == SUCCESS, vm.report()


def test_device_reset_with_commands_in_flight(make_vm):
    """A full virtio reset while READs are queued: every READ completes
    exactly once (QEMU finishes or cancels them; the driver reclaims the
    rest), the device comes back, and later I/O works."""
    vm = make_vm("pc")
    status, text = vm.run_script(
        "vscsi.verbose=0 tmf-inflight sda device-reset 4; "
        "dd if=/dev/sda of=/dev/null bs=4096 count=1; virtio",
        qemurun.controller("scsi0") + THROTTLED)
    assert "reset: done" in text, vm.report()
    assert not re.search(r"completed \d+ times", text), vm.report()
    ends = re.findall(r"^cmd (\d) tag \S+: response (\w+) .* result (\w+)", text, re.M)
    assert sorted(int(e[0]) for e in ends) == [0, 1, 2, 3], vm.report()
    assert all(e[2] in ("ok", "ECONNRESET") for e in ends), vm.report()
    # The device works after the reset (the throttle allows ~1 read/s).
    assert "1+0 records in" in text, vm.report()
    assert re.search(r"device_resets=1\b", text), vm.report()
    assert status == SUCCESS, vm.report()
