"""Issue 9 item 8: discard from the shell (`blkdiscard`, util-linux's syntax
and messages), sent as UNMAP or as WRITE SAME(16) with UNMAP, within the
device's limits and on its unmap granularity.

The host is the oracle: after the power-off `qemu-img map` says which parts
of each image are still allocated, and the images' bytes say what a reader
gets.  QEMU's trace (scsi_req_parsed) says which commands reached it.

QEMU's scsi-hd offers both commands (VPD B2h: LBPU and LBPWS); with
max_unmap_size=0 its MAXIMUM UNMAP LBA COUNT is 0, which leaves WRITE
SAME(16) as the only way: that disk exercises the second path.
"""
import json
import subprocess

import disks
from test_blk import FAILURE, Image, controller, guest_md5s, qemu_commands, step, steps

UNMAP, WRITE_SAME_16 = 0x42, 0x93
MiB = 1 << 20


def thin_disk(node, path, target, fmt="raw", props=""):
    """A scsi-hd whose block nodes pass discards down (discard=unmap on the
    format and the file node: qcow2 frees clusters, the file gets holes)."""
    return ["-blockdev", f"driver=file,node-name={node}-file,filename={path},discard=unmap",
            "-blockdev", f"driver={fmt},node-name={node},file={node}-file,discard=unmap",
            "-device", f"scsi-hd,bus=scsi0.0,scsi-id={target},lun=0,drive={node}{props}"]


def unallocated(path, fmt):
    """[(start, end)] of the guest-visible ranges that hold no data in the
    image (qemu-img map: "data": false), merged."""
    r = subprocess.run(["qemu-img", "map", "--output=json", "-f", fmt, str(path)],
                       check=True, stdout=subprocess.PIPE, text=True)
    out = []
    for e in json.loads(r.stdout):
        if e["data"]:
            continue
        start, end = e["start"], e["start"] + e["length"]
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def covered(ranges, start, end):
    """True if [start, end) lies inside one of `ranges`."""
    return any(a <= start and end <= b for a, b in ranges)


def zero_hexdump(out, start, end):
    """hexdump -C of an all-zero range: one line, '*', the end offset."""
    return out.strip().splitlines() == [
        f"{start:08x}  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
        "*", f"{end:08x}"]


def test_blkdiscard(make_vm, tmp_path):
    size = 16 * MiB
    # sda: qcow2 (64 KiB clusters), told to QEMU as an unmap granularity of
    # 64 KiB and at most 1 MiB per UNMAP.  sdb: raw, QEMU's defaults.
    # sdc: raw, no UNMAP (max_unmap_size=0): WRITE SAME(16).  sdd: read-only.
    a = Image(disks.make_qcow2(tmp_path / "a.qcow2", size, seed="dc-a"), "qcow2")
    b = Image(disks.make_raw(tmp_path / "b.img", size, seed="dc-b"))
    c = Image(disks.make_raw(tmp_path / "c.img", size, seed="dc-c"))
    d = disks.make_raw(tmp_path / "d.img", 1 * MiB, seed="dc-d")
    d_md5 = disks.md5_file(d)
    trace = tmp_path / "trace.log"
    devices = (controller("scsi0")
               + thin_disk("a", a.path, 0, "qcow2", ",discard_granularity=65536,"
                                                    "max_unmap_size=1048576")
               + thin_disk("b", b.path, 1)
               + thin_disk("c", c.path, 2, props=",max_unmap_size=0")
               + ["-blockdev", f"driver=file,node-name=d,filename={d},read-only=on",
                  "-device", "scsi-hd,bus=scsi0.0,scsi-id=3,lun=0,drive=d"])
    # From inside a 64 KiB granule (1 MiB + 32 KiB) for 3 MiB: the UNMAPs
    # must end on granule boundaries (1984 + 2048 + 2048 + 64 blocks), or
    # the granules at 2 MiB and 3 MiB straddle two commands and stay.
    start, length = MiB + 32 * 1024, 3 * MiB
    commands = [
        # known data written by the guest into the range first
        "dd if=/dev/sdb of=/dev/sda bs=1M count=1 skip=5 seek=2",
        f"blkdiscard -v -o {start} -l {length} /dev/sda",
        f"hexdump -C -s {MiB + 64 * 1024} -n {3 * MiB - 64 * 1024} /dev/sda",
        "blkdiscard -v /dev/sdb",
        "blkdiscard -o 2M -l 2M /dev/sdc",
        "hexdump -C -s 2M -n 2M /dev/sdc",
        # refused before anything is sent, with util-linux's words
        "blkdiscard -o 100 /dev/sda",
        "blkdiscard -o 1M -l 1000 /dev/sda",
        "blkdiscard -o 32M /dev/sda",
        "blkdiscard -l 12x /dev/sda",
        "blkdiscard /dev/sdd",
        "blkdiscard /dev/sdz",
        "blkdiscard",
        "md5sum /dev/sda /dev/sdb /dev/sdc",
    ]
    vm = make_vm("pc")
    status, result = steps(vm, commands, devices, timeout=120,
                           extra=["-trace", "scsi_req_parsed", "-D", str(trace)])
    assert status == FAILURE, vm.report()
    dd = step(result, commands[0])
    assert dd.status == 0, dd.out
    a.data[2 * MiB:3 * MiB] = b.data[5 * MiB:6 * MiB]

    s = step(result, commands[1])
    assert s.status == 0 and s.out.strip() == f"/dev/sda: Discarded {length} bytes from the " \
                                              f"offset {start}", s.out
    s = step(result, commands[2])
    assert s.status == 0 and zero_hexdump(s.out, MiB + 64 * 1024, 4 * MiB), s.out
    s = step(result, commands[3])
    assert s.status == 0 and s.out.strip() == f"/dev/sdb: Discarded {size} bytes from the " \
                                              f"offset 0", s.out
    s = step(result, commands[4])
    assert s.status == 0 and s.out.strip() == "", s.out
    s = step(result, commands[5])
    assert s.status == 0 and zero_hexdump(s.out, 2 * MiB, 4 * MiB), s.out
    refusals = {
        commands[6]: "blkdiscard: /dev/sda: offset 100 is not aligned to sector size 512",
        commands[7]: "blkdiscard: /dev/sda: length 1000 is not aligned to sector size 512",
        commands[8]: "blkdiscard: /dev/sda: offset is greater than device size",
        commands[9]: "blkdiscard: failed to parse length: '12x'",
        commands[10]: "blkdiscard: cannot open /dev/sdd: Read-only file system",
        commands[11]: "blkdiscard: cannot open /dev/sdz: No such file or directory",
        commands[12]: "blkdiscard: no device specified",
    }
    for cmd, msg in refusals.items():
        s = step(result, cmd)
        assert s.status == 1 and msg in s.out, f"{cmd}: status {s.status}\n{s.out}"

    # What reached QEMU: 4 UNMAPs on sda (granule-aligned pieces of at
    # most 1 MiB), one on sdb, one WRITE SAME(16) and no UNMAP on sdc, and
    # nothing from the refused commands (sdd saw no discard either).
    cmds = qemu_commands(trace)
    count = lambda t, op: sum(1 for x in cmds if x[0] == t and x[2] == op)
    assert (count(0, UNMAP), count(1, UNMAP), count(2, UNMAP)) == (4, 1, 0), cmds
    assert (count(0, WRITE_SAME_16), count(2, WRITE_SAME_16), count(3, UNMAP)) == (0, 1, 0)

    # The host's view.  sda: every cluster inside the range is free, the
    # range reads as zeroes there; the partial clusters at its ends keep
    # their data or read zeroes; nothing outside changed.
    free = unallocated(a.path, "qcow2")
    assert covered(free, MiB + 64 * 1024, 4 * MiB), free
    now = a.guest_view()
    assert now[MiB + 64 * 1024:4 * MiB] == bytes(3 * MiB - 64 * 1024)
    for lo, hi in ((start, MiB + 64 * 1024), (4 * MiB, start + length)):
        assert now[lo:hi] in (bytes(a.data[lo:hi]), bytes(hi - lo)), (lo, hi)
    assert now[:start] == bytes(a.data[:start])
    assert now[start + length:] == bytes(a.data[start + length:])
    # sdb: all of it gone (holes in the file), reads as zeroes.
    assert covered(unallocated(b.path, "raw"), 0, size)
    assert b.guest_view() == bytes(size)
    # sdc: [2 MiB, 4 MiB) zeroes and deallocated, the rest as it was.
    now = c.guest_view()
    assert now[2 * MiB:4 * MiB] == bytes(2 * MiB)
    assert now[:2 * MiB] == bytes(c.data[:2 * MiB]) and now[4 * MiB:] == bytes(c.data[4 * MiB:])
    assert covered(unallocated(c.path, "raw"), 2 * MiB, 4 * MiB)
    assert disks.md5_file(d) == d_md5
    # The guest's md5sum of each disk is the host's.
    sums = guest_md5s(step(result, commands[-1]).out)
    assert sums == {"/dev/sda": disks.md5_guest_view(a.path), "/dev/sdb": disks.md5_file(b.path),
                    "/dev/sdc": disks.md5_file(c.path)}, sums
