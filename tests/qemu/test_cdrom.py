"""Issue #5: the CD-ROM path.  The test builds ISO 9660 images with
xorriso; the guest reads them through /dev/sr0 (md5sum of the whole medium,
hexdump of one file's extent, found by parsing the ISO here), and sees a
medium change made through QMP (eject, blockdev-change-medium) without a
reboot.  The guest's own eject opens the tray (QEMU says so on QMP).  With
no command touching the drive, lsblk follows the host's changes within
about a second: the driver polls GET EVENT STATUS NOTIFICATION from the
idle loop, since QEMU sends no event for a CD."""
import hashlib
import os
import re
import shutil
import struct
import subprocess
import time

import pytest

import disks
import qemurun
from qmp import QMPError
from test_blk import guest_md5s, steps

SUCCESS = qemurun.EXIT_SUCCESS
FAILURE = qemurun.EXIT_FAILURE



def make_iso(path, volid, files):
    """An ISO 9660 image holding `files` ({"NAME.EXT": bytes}) in its root.
    `make` installs xorriso (tools/deps.sh), so its absence fails the test
    rather than skipping it."""
    if shutil.which("xorriso") is None:
        pytest.fail("xorriso is missing: `make` installs it (tools/deps.sh), "
                    "or apt-get install xorriso", pytrace=False)
    src = str(path) + ".d"
    os.makedirs(src, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", str(path), "-V", volid, src],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return str(path)


def iso_extent(path, name):
    """(byte offset, length) of a file in the root directory of an ISO 9660
    image: the primary volume descriptor (sector 16) holds the root
    directory record; its extent lists the files (ECMA-119 §8.4, §9.1)."""
    with open(path, "rb") as f:
        iso = f.read()
    pvd = iso[16 * 2048:17 * 2048]
    assert pvd[0] == 1 and pvd[1:6] == b"CD001", "no primary volume descriptor"
    root = pvd[156:156 + 34]
    lba, size = struct.unpack_from("<I", root, 2)[0], struct.unpack_from("<I", root, 10)[0]
    off, end = lba * 2048, lba * 2048 + size
    while off < end:
        n = iso[off]
        if n == 0:                       # records do not cross sectors
            off = (off // 2048 + 1) * 2048
            continue
        rec = iso[off:off + n]
        ident = rec[33:33 + rec[32]].decode("ascii", "replace").split(";")[0]
        if ident.upper() == name.upper():
            return (struct.unpack_from("<I", rec, 2)[0] * 2048,
                    struct.unpack_from("<I", rec, 10)[0])
        off += n
    raise KeyError(name)


def hexdump_bytes(text):
    """The bytes a `hexdump -C -v` printed (offset column and ASCII dropped)."""
    out = bytearray()
    for line in text.splitlines():
        m = re.match(r"^[0-9a-f]{8}  ((?:[0-9a-f]{2} +)+)\|", line)
        if m:
            out += bytes.fromhex(m.group(1).replace(" ", ""))
    return bytes(out)


def md5(path):
    return disks.md5_file(path)


@pytest.fixture
def isos(tmp_path):
    """Two media with different content and sizes."""
    one = make_iso(tmp_path / "one.iso", "VSCSI_ONE", {
        "HELLO.TXT": b"Hello from the first vscsi test medium.\n" * 3,
        "DATA.BIN": disks.random_bytes(20000, "cd-one"),
    })
    two = make_iso(tmp_path / "two.iso", "VSCSI_TWO", {
        "OTHER.TXT": b"This is the second medium.\n",
        "BIG.BIN": disks.random_bytes(3 << 20, "cd-two"),
    })
    return one, two


def test_read_iso(make_vm, isos):
    """md5sum of /dev/sr0 equals the host's of the ISO; a file's extent,
    read with hexdump, is the file; writes are refused; the SCSI tools see
    a CD-ROM with 2048-byte blocks."""
    one, _ = isos
    off, length = iso_extent(one, "DATA.BIN")
    toff, tlen = iso_extent(one, "HELLO.TXT")
    size = os.path.getsize(one)
    devices = qemurun.controller("scsi0") + qemurun.cdrom(one, target=2, id="cd0")
    commands = ["lsblk", "md5sum /dev/sr0", f"hexdump -C -v -s {off} -n {length} /dev/sr0",
                f"hexdump -C -s {toff} -n {tlen} /dev/sr0",
                "dd if=/dev/sr0 of=/dev/null bs=2048", "dd if=/dev/zero of=/dev/sr0 count=1",
                "sg_inq /dev/sr0", "sg_readcap /dev/sr0"]
    vm = make_vm("pc")
    status, r = steps(vm, commands, devices)
    assert re.search(rf"^sr0\s+0:0:2:0\s+2048\s+rom\s+1\s+{size}\b", r[0].out, re.M), vm.report()
    assert guest_md5s(r[1].out) == {"/dev/sr0": md5(one)}, vm.report()
    assert hexdump_bytes(r[2].out) == disks.random_bytes(20000, "cd-one"), r[2].out[-2000:]
    assert re.search(rf"^{off + length:08x}$", r[2].out, re.M), r[2].out[-300:]
    assert hexdump_bytes(r[3].out) == b"Hello from the first vscsi test medium.\n" * 3
    assert "|Hello from the f|" in r[3].out
    blocks = size // 2048
    assert re.search(rf"^{blocks}\+0 records in\n{blocks}\+0 records out$", r[4].out, re.M)
    assert r[5].status == 1 and "dd: failed to open '/dev/sr0': Read-only file system" in r[5].out
    assert "Peripheral device type: cd/dvd" in r[6].out and "RMB=1" in r[6].out
    assert "Product identification: QEMU CD-ROM" in r[6].out
    assert f"Last LBA={blocks - 1} (0x{blocks - 1:x}), Number of logical blocks={blocks}" in r[7].out
    assert "Logical block length=2048 bytes" in r[7].out
    assert status == FAILURE  # only the refused write failed
    assert [s.cmd for s in r if s.status] == ["dd if=/dev/zero of=/dev/sr0 count=1"]


def test_eject_and_change_medium(make_vm, isos):
    """Interactive: the guest's eject opens the tray and -t closes it (QEMU
    reports both); QMP eject empties the drive and blockdev-change-medium
    inserts another ISO; the guest sees each state on its next open, with
    no reboot."""
    one, two = isos
    devices = qemurun.controller("scsi0") + qemurun.cdrom(one, target=2, id="cd0")
    vm = make_vm("pc")
    vm.start(None, devices)
    vm.qmp  # connect now: QMP events sent before the connection are lost
    vm.expect_prompt()

    def md5sum():
        return vm.command("md5sum /dev/sr0", timeout=60)

    assert guest_md5s(md5sum()) == {"/dev/sr0": md5(one)}, vm.report()

    # The guest opens the tray: PREVENT ALLOW + START STOP UNIT (LoEj).
    out = vm.command("eject")
    assert "eject:" not in out, out
    ev = vm.qmp.wait_event("DEVICE_TRAY_MOVED", timeout=10)
    assert ev["data"]["tray-open"] is True and ev["data"]["id"] == "cd0"
    assert "md5sum: /dev/sr0: No medium found" in md5sum(), vm.report()
    out = vm.command("eject -t /dev/sr0")
    assert "eject:" not in out, out
    ev = vm.qmp.wait_event("DEVICE_TRAY_MOVED", timeout=10)
    assert ev["data"]["tray-open"] is False
    assert guest_md5s(md5sum()) == {"/dev/sr0": md5(one)}, vm.report()

    # The host takes the medium away ...
    vm.qmp.cmd("eject", id="cd0", force=True)
    assert "md5sum: /dev/sr0: No medium found" in md5sum(), vm.report()
    out = vm.command("sg_readcap /dev/sr0")
    assert "Not ready" in out and "Medium not present" in out, out
    assert re.search(r"^sr0\s.*no medium", vm.command("lsblk"), re.M), vm.report()

    # ... and inserts the second ISO: seen at once, with its own size.
    vm.qmp.cmd("blockdev-change-medium", {"id": "cd0", "filename": two, "format": "raw",
                                          "read-only-mode": "read-only"})
    assert guest_md5s(md5sum()) == {"/dev/sr0": md5(two)}, vm.report()
    blocks = os.path.getsize(two) // 2048
    assert f"Number of logical blocks={blocks}" in vm.command("sg_readcap /dev/sr0")
    toff, tlen = iso_extent(two, "OTHER.TXT")
    assert hexdump_bytes(vm.command(f"hexdump -C -s {toff} -n {tlen} /dev/sr0")) == \
        b"This is the second medium.\n"

    # Changing straight from one medium to another (no empty phase seen).
    vm.qmp.cmd("blockdev-change-medium", {"id": "cd0", "filename": one, "format": "raw",
                                          "read-only-mode": "read-only"})
    assert guest_md5s(md5sum()) == {"/dev/sr0": md5(one)}, vm.report()
    assert "PANIC" not in vm.output


def test_locked_tray(make_vm, isos):
    """PREVENT ALLOW MEDIUM REMOVAL from the guest locks the tray: the host's
    eject without force is refused; the guest's `eject` unlocks (PREVENT
    ALLOW with prevent=0) before START STOP UNIT LoEj, so it opens."""
    one, _ = isos
    devices = qemurun.controller("scsi0") + qemurun.cdrom(one, target=2, id="cd0")
    vm = make_vm("pc")
    vm.start(None, devices)
    vm.qmp
    vm.expect_prompt()
    out = vm.command("sg_raw /dev/sr0 1e 00 00 00 01 00")
    assert "SCSI Status: Good" in out, out + vm.report()
    with pytest.raises(QMPError, match="is locked"):
        vm.qmp.cmd("eject", id="cd0")
    out = vm.command("eject /dev/sr0")
    assert "eject:" not in out, out
    ev = vm.qmp.wait_event("DEVICE_TRAY_MOVED", timeout=10)
    assert ev["data"]["tray-open"] is True and ev["data"]["id"] == "cd0"
    vm.send_line("poweroff")
    assert vm.wait() == qemurun.EXIT_SUCCESS, vm.report()


def lsblk_row(out, name):
    m = re.search(rf"^{name}\s+(\S+)\s+(\d+)\s+(\w+)\s+(\d)\s+(no medium|\d+)\s", out, re.M)
    assert m, out
    return m.group(5)


def commands_sent(vm):
    m = re.search(r"counters: commands=(\d+)", vm.command("virtio"))
    assert m, vm.report()
    return int(m.group(1))


def test_lsblk_follows_the_medium_without_io(make_vm, isos):
    """The host changes the medium, opens and closes the tray over QMP; no
    guest command touches the drive, yet `sleep 2; lsblk` shows each new
    state, sizes included.  The poll is one command a second or so."""
    one, two = isos
    devices = qemurun.controller("scsi0") + qemurun.cdrom(one, target=2, id="cd0")
    vm = make_vm("pc")
    vm.start(None, devices)
    vm.qmp
    vm.expect_prompt()
    assert lsblk_row(vm.command("lsblk"), "sr0") == str(os.path.getsize(one))

    vm.qmp.cmd("blockdev-change-medium", {"id": "cd0", "filename": two, "format": "raw",
                                          "read-only-mode": "read-only"})
    out = vm.command("sleep 2; lsblk")
    assert lsblk_row(out, "sr0") == str(os.path.getsize(two)), out + vm.report()

    vm.qmp.cmd("blockdev-open-tray", id="cd0", force=True)
    out = vm.command("sleep 2; lsblk")
    assert lsblk_row(out, "sr0") == "no medium", out + vm.report()

    vm.qmp.cmd("blockdev-close-tray", id="cd0")
    out = vm.command("sleep 2; lsblk")
    assert lsblk_row(out, "sr0") == str(os.path.getsize(two)), out + vm.report()

    # Straight from one medium to another of a different size.
    vm.qmp.cmd("blockdev-change-medium", {"id": "cd0", "filename": one, "format": "raw",
                                          "read-only-mode": "read-only"})
    out = vm.command("sleep 2; lsblk")
    assert lsblk_row(out, "sr0") == str(os.path.getsize(one)), out + vm.report()
    assert guest_md5s(vm.command("md5sum /dev/sr0", timeout=60)) == {"/dev/sr0": md5(one)}

    # Rate: about one GET EVENT STATUS NOTIFICATION a second while idle.
    before = commands_sent(vm)
    t0 = time.monotonic()
    vm.command("sleep 5", timeout=30)
    polls = commands_sent(vm) - before
    elapsed = time.monotonic() - t0
    assert 2 <= polls <= elapsed + 3, (polls, elapsed)
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()


def test_removable_disk_medium_is_polled(make_vm, disk_image):
    """A removable disk (RMB=1) has no GET EVENT STATUS NOTIFICATION in
    QEMU: it is polled with TEST UNIT READY, as Linux's sd polls removable
    media.  Host eject and a new medium of another size show in lsblk."""
    small = disk_image("small", 1 << 20, seed=11)
    big = disk_image("big", 3 << 20, seed=12)
    devices = (qemurun.controller("scsi0") + qemurun.blockdev_file("rm", small)
               + qemurun.scsi_hd("rm", 0, 0, id="rd0", removable=True))
    vm = make_vm("pc")
    vm.start(None, devices)
    vm.qmp
    vm.expect_prompt()
    assert lsblk_row(vm.command("lsblk"), "sda") == str(1 << 20)
    vm.qmp.cmd("eject", id="rd0", force=True)
    out = vm.command("sleep 2; lsblk")
    assert lsblk_row(out, "sda") == "no medium", out + vm.report()
    vm.qmp.cmd("blockdev-change-medium", {"id": "rd0", "filename": big, "format": "raw"})
    out = vm.command("sleep 2; lsblk")
    assert lsblk_row(out, "sda") == str(3 << 20), out + vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()
