"""Issue #5: SG_IO pass-through from the shell's sg3_utils-style tools, and
the per-disk command filter.

sg_raw's data-in is compared with the image, its data-out lands in the
image; sg_inq / sg_readcap print what QEMU's scsi-hd says.  The filter:
a refused command never reaches the device (the controller's command
counter does not move) and fails with EPERM and a message naming the
opcode; allow entries (with or without a service action), deny entries and
the unfiltered policy behave as documented in include/vscsi/sg_io.h.
"""
import re

import disks
import qemurun
from test_blk import controller, hd, step, steps

SUCCESS = qemurun.EXIT_SUCCESS
FAILURE = qemurun.EXIT_FAILURE


def sg_raw_data(out):
    """The bytes of sg_raw's "Received N bytes of data:" hex dump."""
    m = re.search(r"^Received (\d+) bytes of data:\n", out, re.M)
    assert m, out
    data = bytearray()
    for line in out[m.end():].splitlines():
        if not re.match(r"^ [0-9a-f]{2,}  ", line):
            break
        data += bytes.fromhex(line[8:58].replace(" ", ""))
    assert len(data) == int(m.group(1)), out
    return bytes(data)


def commands_sent(out):
    """host0's command counter from the `virtio` command."""
    return int(re.search(r"counters: commands=(\d+)", out).group(1))


def test_inquiry_and_capacity(make_vm, tmp_path):
    path = disks.make_raw(tmp_path / "a.img", 4 << 20, seed="sg-a")
    devices = (controller("scsi0") + hd("a", path, 0, extra=",serial=SER42")
               + qemurun.blockdev_null("k", size=64 << 20)
               + ["-device", "scsi-hd,bus=scsi0.0,scsi-id=1,lun=0,drive=k,"
                             "logical_block_size=4096,physical_block_size=4096"]
               + ["-device", "scsi-cd,bus=scsi0.0,scsi-id=2,lun=0"])
    cmds = ["sg_inq /dev/sda", "sg_inq -p 0x80 /dev/sda", "sg_inq -p 0x83 /dev/sda",
            "sg_readcap /dev/sda", "sg_readcap -l /dev/sdb", "sg_inq /dev/sr0",
            "sg_readcap /dev/sr0"]
    vm = make_vm("pc")
    status, r = steps(vm, cmds, devices)
    inq = r[0].out
    assert r[0].status == 0, inq
    assert "standard INQUIRY:" in inq
    assert re.search(r"PQual=0  PDT=0  RMB=0  LU_CONG=0  hot_pluggable=0  version=0x05  "
                     r"\[SPC-3\]", inq), inq
    assert "Peripheral device type: disk" in inq
    assert re.search(r"^ Vendor identification: QEMU {4}$", inq, re.M), inq
    assert re.search(r"^ Product identification: QEMU HARDDISK {3}$", inq, re.M), inq
    assert re.search(r"^ Product revision level: 2\.5\+$", inq, re.M), inq
    assert re.search(r"^ Unit serial number: SER42$", inq, re.M), inq
    assert re.search(r"^ Unit serial number: SER42$", r[1].out, re.M), r[1].out
    assert "VPD INQUIRY, page code=0x83:" in r[2].out and re.search(r"^ 00     00 83 ", r[2].out, re.M)
    cap = r[3].out
    assert "Last LBA=8191 (0x1fff), Number of logical blocks=8192" in cap
    assert "Logical block length=512 bytes" in cap
    assert "Device size: 4194304 bytes, 4.0 MiB, 0.00 GB" in cap
    cap = r[4].out
    assert "Last LBA=16383 (0x3fff), Number of logical blocks=16384" in cap
    assert "Logical block length=4096 bytes" in cap
    assert re.search(r"Logical block provisioning: lbpme=\d, lbprz=\d", cap)
    assert "Device size: 67108864 bytes, 64.0 MiB, 0.07 GB" in cap
    assert "PDT=5" in r[5].out and "RMB=1" in r[5].out and "QEMU CD-ROM" in r[5].out
    # An empty drive answers NOT READY / medium not present.
    assert r[6].status == 2, r[6].out
    assert "Additional sense: Medium not present" in r[6].out
    assert status == FAILURE and [s.cmd for s in r if s.status] == ["sg_readcap /dev/sr0"]


def test_sg_raw_read_and_write(make_vm, tmp_path):
    a = disks.make_raw(tmp_path / "a.img", 1 << 20, seed="sg-rw-a")
    b = disks.make_raw(tmp_path / "b.img", 1 << 20, seed="sg-rw-b")
    devices = controller("scsi0") + hd("a", a, 0) + hd("b", b, 1)
    read10 = "sg_raw -r 512 /dev/sda 28 00 00 00 00 05 00 00 01 00"
    read16 = "sg_raw -r 1024 /dev/sda 88 00 00 00 00 00 00 00 00 07 00 00 00 02 00 00"
    # (an emulated command: for READ with a larger buffer QEMU 7.2 reports
    # a negative residual, which a driver must clamp to "nothing moved")
    bigger = "sg_raw -r 4096 /dev/sda 12 00 00 00 24 00"
    write_hex = "sg_raw -s 512 -i 00112233445566778899aabbccddeeff /dev/sda 2a 00 00 00 00 09 00 00 01 00"
    write_dev = "sg_raw -s 1024 -i /dev/sdb /dev/sda 2a 00 00 00 00 0c 00 00 02 00"
    tur = "sg_raw -v /dev/sda 00 00 00 00 00 00"
    cmds = [read10, read16, bigger, write_hex, write_dev, tur]
    vm = make_vm("pc")
    status, r = steps(vm, cmds, devices)
    assert status == SUCCESS, vm.report()
    assert "SCSI Status: Good" in step(r, read10).out
    assert sg_raw_data(step(r, read10).out) == disks.read_sectors(a, 5, 1)
    assert sg_raw_data(step(r, read16).out) == disks.read_sectors(a, 7, 2)
    # A larger buffer than the command moves: the residual is honoured.
    inq = sg_raw_data(step(r, bigger).out)
    assert len(inq) == 36 and inq[8:36] == b"QEMU    QEMU HARDDISK   2.5+"
    assert "SCSI Status: Good" in step(r, write_hex).out
    assert "Received" not in step(r, write_hex).out
    assert "cdb to send: [00 00 00 00 00 00]" in step(r, tur).out
    with open(a, "rb") as f:
        img = f.read()
    assert img[9 * 512:10 * 512] == bytes.fromhex("00112233445566778899aabbccddeeff") + bytes(496)
    assert img[12 * 512:14 * 512] == disks.read_sectors(b, 0, 2)
    untouched = disks.random_bytes(1 << 20, "sg-rw-a:0")
    assert img[:9 * 512] == untouched[:9 * 512] and img[14 * 512:] == untouched[14 * 512:]


def test_command_filter(make_vm, tmp_path):
    """Filtered (the default) refuses PERSISTENT RESERVE OUT, vendor
    opcodes and, on a read-only open, WRITE; `allow OP/SA` admits one
    service action, `allow OP` all of them, `deny` beats everything,
    `unfiltered` admits the rest.  Admitted PR OUT reaches QEMU's scsi-hd,
    which has no PR support: INVALID COMMAND OPERATION CODE (status 9)."""
    path = disks.make_raw(tmp_path / "a.img", 1 << 20, seed="sg-filter")
    devices = controller("scsi0") + hd("a", path, 0)
    register = "sg_raw -s 24 /dev/sda 5f 00 00 00 00 00 00 00 18 00"
    reserve = "sg_raw -s 24 /dev/sda 5f 01 01 00 00 00 00 00 18 00"
    vendor = "sg_raw /dev/sda c0 00 00 00 00 00"
    ro_write = "sg_raw -R -s 512 -i /dev/zero /dev/sda 2a 00 00 00 00 00 00 00 01 00"
    plan = [
        # (command, status, reached the device)
        ("virtio", 0, 0),
        (register, 51, 0),
        (reserve, 51, 0),
        (vendor, 51, 0),
        (ro_write, 51, 0),
        ("sg_raw -R -r 512 /dev/sda 28 00 00 00 00 00 00 00 01 00", 0, 1),
        ("virtio", 0, 0),
        ("sg_policy /dev/sda allow 0x5f/0x01", 0, 0),
        (register, 51, 0),
        (reserve, 9, 1),
        ("sg_policy /dev/sda clear", 0, 0),
        (reserve, 51, 0),
        ("sg_policy /dev/sda allow 5f", 0, 0),
        (register, 9, 1),
        (reserve, 9, 1),
        ("sg_policy /dev/sda deny 0x5f/0 unfiltered", 0, 0),
        (register, 51, 0),
        (reserve, 9, 1),
        ("sg_policy /dev/sda", 0, 0),
        ("sg_policy /dev/sda clear", 0, 0),
        (vendor, 9, 1),
        (ro_write, 0, 1),
        ("sg_policy /dev/sda filtered", 0, 0),
        (vendor, 51, 0),
        ("virtio", 0, 0),
    ]
    vm = make_vm("pc")
    status, r = steps(vm, [p[0] for p in plan], devices)
    assert status == FAILURE, vm.report()
    for (cmd, want, _), got in zip(plan, r):
        assert got.status == want, f"{cmd}: status {got.status}, want {want}\n{got.out}"
        if want == 51:
            op = cmd.split("/dev/sda ")[-1].split()[0]
            assert re.search(rf"opcode 0x{op} .*refused by (the command filter|a deny entry)",
                             got.out), got.out
            assert re.search(rf"SG_IO refused opcode 0x{op}", got.out), got.out  # driver log
            assert "SCSI Status" not in got.out
        if want == 9:
            assert "Additional sense: Invalid command operation code" in got.out, got.out
    # Refused commands never reach the device: the counter moves by exactly
    # the number of admitted commands.
    counts = [commands_sent(s.out) for s in r if s.cmd == "virtio"]
    first, second, last = counts
    assert second - first == 1, vm.report()
    reached = sum(p[2] for p in plan[plan.index(("virtio", 0, 0), 1) + 1:])
    assert last - second == reached, vm.report()
    assert "refused by a deny entry of /dev/sda's command filter" in r[16].out, r[16].out
    shown = step(r, "sg_policy /dev/sda").out
    assert "/dev/sda: unfiltered" in shown
    assert "deny 0x5f/0x00 (PERSISTENT RESERVE OUT)" in shown
    # Only the one admitted WRITE(10) changed the disk: sector 0 is zero.
    with open(path, "rb") as f:
        img = f.read()
    want = disks.random_bytes(1 << 20, "sg-filter:0")
    assert img == bytes(512) + want[512:]


def test_cdrom_commands_pass_the_filter(make_vm, tmp_path):
    """MMC reads (READ TOC, GET CONFIGURATION) pass the filter on a CD."""
    iso = tmp_path / "x.iso"
    iso.write_bytes(disks.random_bytes(2048 * 64, "sg-cd"))
    devices = controller("scsi0") + qemurun.cdrom(str(iso), target=0)
    toc = "sg_raw -r 12 /dev/sr0 43 00 00 00 00 00 00 00 0c 00"
    conf = "sg_raw -r 8 /dev/sr0 46 00 00 00 00 00 00 00 08 00"
    vm = make_vm("pc")
    status, r = steps(vm, [toc, conf], devices)
    assert status == SUCCESS, vm.report()
    data = sg_raw_data(r[0].out)
    assert data[2] == 1 and data[3] == 1   # first and last track 1
    assert len(sg_raw_data(r[1].out)) == 8
