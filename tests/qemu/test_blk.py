"""Issue #5: the block device files and the shell's block tools, with the
host as the oracle for data.

The host makes images with random content, the guest hashes them with
md5sum and copies ranges between disks with dd (offsets, odd lengths,
transfers larger than max_sectors, buffers with more pages than seg_max);
after the power-off the host replays the same copies on its own copy of
the data and compares the images byte for byte.  The same on a disk with
4096-byte blocks and through a qcow2; writes to a read-only disk fail and
leave it unchanged; bad input gives a clear error and the kernel runs on.
The write cache (issue 9): FUA writes on dpofua=off/on disks and the
power-off flush of write-cache=on disks, with QEMU's trace and block
statistics as the oracle.

Also home of the script helpers the other test files import (steps(),
step(), qemu_commands() for QEMU's trace of the commands it parsed).
"""
import hashlib
import os
import re
import subprocess
from typing import NamedTuple

import pytest

import disks
import qemurun

SUCCESS = qemurun.EXIT_SUCCESS
FAILURE = qemurun.EXIT_FAILURE


# --- running a script and cutting its output per command -----------------------

class Step(NamedTuple):
    cmd: str
    out: str      # what the command printed (driver log lines included)
    status: int   # the command's exit status (0 = success)


def split_steps(text):
    """The script's output as one Step per command, in order."""
    parts = re.split(r"^vscsi> (.*)$", text, flags=re.M)
    result = []
    for i in range(1, len(parts) - 1, 2):
        cmd, out = parts[i], parts[i + 1]
        status = 0
        m = re.search(r"^vscsi: command failed with status (\d+): .*$", out, re.M)
        if m:
            status = int(m.group(1))
            out = out[:m.start()] + out[m.end():]
        out = re.sub(r"^vscsi: script done, .*$", "", out, flags=re.M)
        result.append(Step(cmd, out, status))
    return result


def steps(vm, commands, devices, timeout=None, extra=()):
    """Boot with `commands` as the script; returns (QEMU status, [Step])."""
    status, text = vm.run_script("; ".join(commands), devices, timeout=timeout, extra=extra)
    got = split_steps(text)
    assert [s.cmd for s in got] == [c.strip() for c in commands], vm.report()
    return status, got


def step(result, cmd):
    """The Step of `cmd` (the first one with that command line)."""
    for s in result:
        if s.cmd == cmd:
            return s
    raise KeyError(cmd)


def guest_md5s(text):
    """{"/dev/sda": "hex", ...} from md5sum lines."""
    return dict((m.group(2), m.group(1))
                for m in re.finditer(r"^([0-9a-f]{32})  (\S+)$", text, re.M))


DD_STATS = re.compile(r"^(\d+)\+(\d+) records in\n(\d+)\+(\d+) records out\n"
                      r"(\d+) bytes? (?:\(.*\) )?copied, [0-9.e+-]+ s, \S+ \S*B/s$", re.M)


def dd_stats(out):
    """(full in, partial in, full out, partial out, bytes) from dd's summary."""
    m = DD_STATS.search(out)
    assert m, f"no dd summary in:\n{out}"
    return tuple(int(x) for x in m.groups())


def controller(id, **props):
    """A virtio-scsi-pci with QEMU's own property spelling (max_sectors,
    virtqueue_size: qemurun.props would turn '_' into '-')."""
    return ["-device", ",".join([f"virtio-scsi-pci,id={id}"]
                                + [f"{k}={v}" for k, v in props.items()])]


def hd(node, path, target, bus="scsi0", fmt="raw", read_only=False, extra=""):
    return (qemurun.blockdev_file(node, str(path), fmt, read_only)
            + ["-device", f"scsi-hd,bus={bus}.0,scsi-id={target},lun=0,drive={node}{extra}"])


class Image:
    """The host's model of a disk: its bytes, changed as the guest's dd does."""

    def __init__(self, path, fmt="raw"):
        self.path = str(path)
        self.fmt = fmt
        self.data = bytearray(self.guest_view())

    def guest_view(self):
        if self.fmt == "qcow2":
            # qemu-img cannot convert into a pipe (it resizes its output)
            raw = self.path + ".view.raw"
            subprocess.run(["qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw",
                            self.path, raw], check=True)
            try:
                with open(raw, "rb") as f:
                    return f.read()
            finally:
                os.unlink(raw)
        with open(self.path, "rb") as f:
            return f.read()

    def md5(self):
        return hashlib.md5(self.data).hexdigest()


def dd_model(src, dst, src_off, dst_off, length):
    """What dd does: copy, clipped at the end of either device."""
    length = max(0, min(length, len(src.data) - src_off, len(dst.data) - dst_off))
    dst.data[dst_off:dst_off + length] = src.data[src_off:src_off + length]
    return length


def assert_same(image, vm):
    now = image.guest_view()
    if bytes(now) != bytes(image.data):
        first = next(i for i in range(len(now)) if now[i] != image.data[i])
        pytest.fail(f"{image.path}: differs from the model first at byte {first} "
                    f"(sector {first // 512})\n" + vm.report())


# --- tests -----------------------------------------------------------------------

def test_md5sum_and_dd_between_disks(make_vm, tmp_path):
    """Three disks on two controllers: host0 carries at most 32 KiB per
    command (max_sectors=64), host1 at most 14 segments (virtqueue_size=16
    gives seg_max 14).  md5sum agrees with the host; every dd below lands
    exactly where the host model says, and nothing else changes."""
    a = Image(disks.make_raw(tmp_path / "a.img", 8 << 20, seed="blk-a"))
    b = Image(disks.make_raw(tmp_path / "b.img", 8 << 20, seed="blk-b"))
    c = Image(disks.make_raw(tmp_path / "c.img", (6 << 20) + 1536, seed="blk-c"))
    devices = (controller("scsi0", max_sectors=64) + controller("scsi1", virtqueue_size=16)
               + hd("a", a.path, 0) + hd("b", b.path, 1) + hd("c", c.path, 0, bus="scsi1"))
    dev = {"/dev/sda": a, "/dev/sdb": b, "/dev/sdc": c}
    before = {k: v.md5() for k, v in dev.items()}

    copies = [
        # command, (src, dst, src offset, dst offset, bytes), expected records
        ("dd if=/dev/sda of=/dev/sdb bs=512 count=7 skip=3 seek=11",
         (a, b, 3 * 512, 11 * 512, 7 * 512), (7, 0, 7, 0)),
        # unaligned bytes: read-modify-write of the head and tail sectors
        ("dd if=/dev/sda of=/dev/sdc bs=1000 count=5 skip=7 seek=13",
         (a, c, 7000, 13000, 5000), (5, 0, 5, 0)),
        # 3 MiB in one read and one write: ~96 commands of 32 KiB on host0,
        # 54 commands of at most 14 pages on host1
        ("dd if=/dev/sdc of=/dev/sda bs=3M count=1 skip=1",
         (c, a, 3 << 20, 0, 3 << 20), (1, 0, 1, 0)),
        ("dd if=/dev/sda of=/dev/sdc bs=64k iflag=skip_bytes,count_bytes oflag=seek_bytes "
         "skip=12345 count=1000001 seek=54321",
         (a, c, 12345, 54321, 1000001), (15, 1, 15, 1)),
        ("dd if=/dev/sdb of=/dev/sdc bs=1M skip=7 seek=5",
         (b, c, 7 << 20, 5 << 20, 1 << 20), (1, 0, 1, 0)),
        # the last 1536 bytes of sdc: one partial record, then end of device
        ("dd if=/dev/sdc of=/dev/sdb bs=4096 skip=1536",
         (c, b, 6 << 20, 0, 1536), (0, 1, 0, 1)),
        # ibs != obs: reblocking
        ("dd if=/dev/sdb of=/dev/sda ibs=1536 obs=4096 count=5 skip=2 seek=100 conv=fsync",
         (b, a, 3072, 409600, 7680), (5, 0, 1, 1)),
    ]
    commands = ["md5sum /dev/sda /dev/sdb /dev/sdc"] + [c[0] for c in copies] + [
        "md5sum /dev/sda /dev/sdb /dev/sdc", "sync"]
    vm = make_vm("pc")
    status, result = steps(vm, commands, devices, timeout=120)
    assert status == SUCCESS, vm.report()
    assert guest_md5s(result[0].out) == before, vm.report()
    for cmd, (src, dst, so, do, n), records in copies:
        s = step(result, cmd)
        copied = dd_model(src, dst, so, do, n)
        assert dd_stats(s.out) == records + (copied,), f"{cmd}\n{s.out}"
    assert guest_md5s(result[-2].out) == {k: v.md5() for k, v in dev.items()}, vm.report()
    for image in (a, b, c):
        assert_same(image, vm)


def test_4096_byte_blocks_and_qcow2(make_vm, tmp_path):
    """The same on a disk with 4096-byte logical blocks (every 512-byte or
    odd dd goes through read-modify-write of 4 KiB blocks) and on a qcow2
    (what the guest sees is qemu-img's raw view)."""
    k = Image(disks.make_raw(tmp_path / "k.img", 8 << 20, seed="blk-4k"))
    q = Image(disks.make_qcow2(tmp_path / "q.qcow2", 8 << 20, seed="blk-qcow2"), "qcow2")
    devices = (controller("scsi0") + hd("k", k.path, 0, extra=",logical_block_size=4096,"
                                        "physical_block_size=4096")
               + hd("q", q.path, 1, fmt="qcow2"))
    dev = {"/dev/sda": k, "/dev/sdb": q}
    before = {n: i.md5() for n, i in dev.items()}
    copies = [
        ("dd if=/dev/sda of=/dev/sdb bs=512 count=9 skip=5 seek=3", (k, q, 2560, 1536, 4608)),
        ("dd if=/dev/sdb of=/dev/sda bs=1000 count=11 skip=17 seek=19", (q, k, 17000, 19000, 11000)),
        ("dd if=/dev/sdb of=/dev/sda bs=512 count=1 seek=8191", (q, k, 0, 8191 * 512, 512)),
        ("dd if=/dev/sdb of=/dev/sda bs=1M count=2 skip=3 seek=5", (q, k, 3 << 20, 5 << 20, 2 << 20)),
        ("dd if=/dev/sda of=/dev/sdb bs=4096 count=100 skip=7 seek=300 iflag=direct oflag=direct",
         (k, q, 7 * 4096, 300 * 4096, 409600)),
    ]
    commands = (["lsblk", "md5sum /dev/sda /dev/sdb"] + [c[0] for c in copies]
                + ["md5sum /dev/sda /dev/sdb"])
    vm = make_vm("pc")
    status, result = steps(vm, commands, devices, timeout=120)
    assert status == SUCCESS, vm.report()
    assert re.search(r"^sda\s+0:0:0:0\s+4096\s+disk\s+0\s+8388608\b", result[0].out, re.M), vm.report()
    assert guest_md5s(result[1].out) == before, vm.report()
    for cmd, (src, dst, so, do, n) in copies:
        assert dd_model(src, dst, so, do, n) == dd_stats(step(result, cmd).out)[4]
    assert guest_md5s(result[-1].out) == {n: i.md5() for n, i in dev.items()}, vm.report()
    assert_same(k, vm)
    assert_same(q, vm)


def test_readonly_disk(make_vm, tmp_path, md5):
    """A readonly=on disk: lsblk says RO, opening it for writing is EROFS,
    a WRITE(10) sent anyway (unfiltered, read-only open) comes back DATA
    PROTECT / write protected, and the image is unchanged."""
    path = disks.make_raw(tmp_path / "ro.img", 4 << 20, seed="blk-ro")
    before = md5(path)
    devices = controller("scsi0") + hd("ro", path, 0, read_only=True)
    write10 = "sg_raw -R -s 512 /dev/sda 2a 00 00 00 00 00 00 00 01 00"
    commands = ["lsblk", "dd if=/dev/zero of=/dev/sda bs=512 count=1",
                "sg_raw -s 512 /dev/sda 2a 00 00 00 00 00 00 00 01 00",
                write10,                       # filtered: a read-only open may not write
                "sg_policy /dev/sda unfiltered", write10,
                "md5sum /dev/sda", "echo alive"]
    vm = make_vm("pc")
    status, result = steps(vm, commands, devices)
    assert status == FAILURE, vm.report()
    assert re.search(r"^sda\s+0:0:0:0\s+512\s+disk\s+1\s+4194304\b", result[0].out, re.M)
    dd = result[1]
    assert dd.status == 1 and "dd: failed to open '/dev/sda': Read-only file system" in dd.out
    assert result[2].status == 15 and "Read-only file system" in result[2].out
    assert result[3].status == 51 and "opcode 0x2a (WRITE(10))" in result[3].out, result[3].out
    assert "SCSI Status" not in result[3].out
    sent = result[5]
    assert sent.status == 7, sent.out                       # sg3_utils: DATA PROTECT
    assert "SCSI Status: Check Condition" in sent.out
    assert "Sense key: Data Protect" in sent.out
    assert re.search(r"Additional sense: Write protected", sent.out, re.I), sent.out
    assert guest_md5s(result[6].out) == {"/dev/sda": before}
    assert result[7].status == 0 and "alive" in result[7].out
    assert md5(path) == before


def test_bad_input(make_vm, tmp_path, md5):
    """Each bad input gives a clear message and a non-zero status; nothing
    is written, and the kernel runs the next command."""
    a = disks.make_raw(tmp_path / "a.img", 1 << 20, seed="bad-a")
    b = disks.make_raw(tmp_path / "b.img", 1 << 20, seed="bad-b")
    sums = (md5(a), md5(b))
    devices = controller("scsi0") + hd("a", a, 0) + hd("b", b, 1)
    cases = [
        # command, status, message (regex)
        ("md5sum /dev/sdz", 1, r"md5sum: /dev/sdz: No such file or directory"),
        ("dd if=/dev/sdz of=/dev/sdb", 1, r"dd: failed to open '/dev/sdz': No such file"),
        ("dd if=/dev/sda of=/dev/sdb bs=12x", 1, r"dd: invalid number: '12x'"),
        ("dd if=/dev/sda of=/dev/sdb bs=0", 1, r"dd: invalid number: '0'"),
        ("dd if=/dev/sda of=/dev/sdb count=1 frobnicate=1", 1,
         r"dd: unrecognized operand 'frobnicate=1'"),
        ("dd if=/dev/sda of=/dev/sdb conv=bogus", 1, r"dd: invalid conversion: 'bogus'"),
        ("dd if=/dev/sda of=/dev/sdb bs=512 skip=99999", 1,
         r"dd: '/dev/sda': cannot skip: Invalid argument"),
        ("dd if=/dev/sda of=/dev/sdb bs=512 seek=2049 count=1", 1,
         r"dd: '/dev/sdb': cannot seek: Invalid argument"),
        # at the very end: the write itself has no room
        ("dd if=/dev/sda of=/dev/sdb bs=512 seek=2048 count=1", 1,
         r"dd: error writing '/dev/sdb': No space left on device"),
        # misaligned length with O_DIRECT
        ("dd if=/dev/sda of=/dev/sdb bs=1000 count=1 oflag=direct", 1,
         r"dd: error writing '/dev/sdb': Invalid argument"),
        ("dd if=/dev/sda of=/dev/sdb bs=64G count=1", 1, r"dd: memory exhausted by input buffer"),
        ("hexdump -C -s 5M /dev/sda", 1, r"hexdump: /dev/sda: cannot skip to offset 5242880: "
                                          r"Invalid argument"),
        ("hexdump -n 1x /dev/sda", 1, r"hexdump: invalid number '1x'"),
        # out-of-range LBA: the device answers ILLEGAL REQUEST 21/00
        ("sg_raw -r 512 /dev/sda 28 00 00 00 08 00 00 00 01 00", 5,
         r"SCSI Status: Check Condition[\s\S]*Sense key: Illegal Request\n"
         r"Additional sense: Logical block address out of range"),
        ("sg_raw -r 512 /dev/sda 28 zz 00 00 00 00 00 00 01 00", 1,
         r"sg_raw: Invalid command byte 'zz'"),
        ("sg_raw /dev/sda 28 00", 1, r"sg_raw: CDB too short"),
        ("sg_raw -r 12q /dev/sda 28 00 00 00 00 00 00 00 01 00", 1,
         r"sg_raw: invalid request length '12q'"),
        # Refused before anything is sent (the command counter stays):
        ("virtio", 0, r"counters: commands="),
        # 64 MiB is more than one command may carry
        ("sg_raw -r 64M /dev/sda 28 00 00 00 00 00 00 80 00 00", 57,
         r"SG_IO ioctl failed on /dev/sda: Argument list too long\n"
         r"sg_raw: 67108864 bytes is more than one command carries on /dev/sda"),
        # the block layer's SG_IO takes CDBs of 6..32 bytes
        ("sg_raw /dev/sda 00 " + " ".join(["00"] * 33), 72,
         r"SG_IO ioctl failed on /dev/sda: Invalid argument"),
        ("virtio", 0, r"counters: commands="),
        ("sg_raw -r 512 /dev/sdz 28 00 00 00 00 00 00 00 01 00", 15,
         r"sg_raw: failed to open /dev/sdz: No such file or directory"),
        ("sg_inq /dev/nope", 15, r"sg_inq: failed to open /dev/nope"),
        ("sg_readcap", 1, r"sg_readcap: no device specified"),
        ("sg_persist -o -G -S xyz /dev/sda", 1, r"sg_persist: bad argument to '--param-sark'"),
        ("sg_policy /dev/sda allow 0xfff", 2, r"sg_policy: invalid opcode '0xfff'"),
        ("sg_policy /dev/sdq filtered", 1, r"sg_policy: /dev/sdq: No such file or directory"),
        ("eject /dev/sda", 1, r"eject: /dev/sda: CD-ROM eject command failed: "),
    ]
    commands = [c[0] for c in cases] + ["md5sum /dev/sda /dev/sdb", "echo still alive"]
    vm = make_vm("pc")
    status, result = steps(vm, commands, devices)
    assert status == FAILURE, vm.report()
    for (cmd, want_status, pattern), got in zip(cases, result):
        assert got.status == want_status, f"{cmd}: status {got.status}\n{got.out}"
        assert re.search(pattern, got.out), f"{cmd}: no /{pattern}/ in\n{got.out}"
        assert "PANIC" not in got.out
    counts = [re.search(r"commands=(\d+)", got.out).group(1)
              for (cmd, _, _), got in zip(cases, result) if cmd == "virtio"]
    assert len(counts) == 2 and counts[0] == counts[1], counts
    assert guest_md5s(result[-2].out) == {"/dev/sda": sums[0], "/dev/sdb": sums[1]}
    assert result[-1].status == 0 and "still alive" in result[-1].out
    assert (md5(a), md5(b)) == sums


def test_device_files_follow_hotplug(make_vm, tmp_path, md5):
    """A disk hot-added through QMP appears as /dev/sdb with its content; once
    it is unplugged the name is gone and tools say so; a new disk takes the
    name again."""
    a = disks.make_raw(tmp_path / "a.img", 1 << 20, seed="hp-a")
    b = disks.make_raw(tmp_path / "b.img", 2 << 20, seed="hp-b")
    c = disks.make_raw(tmp_path / "c.img", 3 << 20, seed="hp-c")
    vm = make_vm("pc")
    vm.start(None, controller("scsi0") + hd("a", a, 0))
    vm.qmp
    vm.expect_prompt()
    assert guest_md5s(vm.command("md5sum /dev/sda")) == {"/dev/sda": md5(a)}

    def plug(node, path, target):
        vm.qmp.cmd("blockdev-add", {"driver": "raw", "node-name": node,
                                    "file": {"driver": "file", "filename": str(path)}})
        vm.qmp.cmd("device_add", {"driver": "scsi-hd", "id": f"{node}dev", "bus": "scsi0.0",
                                  "scsi-id": target, "lun": 0, "drive": node})

    def wait_for(cmd, pattern, tries=50):
        for _ in range(tries):
            out = vm.command(cmd)
            if re.search(pattern, out, re.M):
                return out
            vm.command("sleep 0.2")
        pytest.fail(f"{cmd}: no /{pattern}/ in\n{out}\n" + vm.report())

    plug("hb", b, 3)
    wait_for("md5sum /dev/sdb", rf"^{md5(b)}  /dev/sdb$")
    vm.qmp.cmd("device_del", id="hbdev")
    vm.qmp.wait_event("DEVICE_DELETED", timeout=10)
    wait_for("md5sum /dev/sdb", r"^md5sum: /dev/sdb: No such file or directory$")
    vm.qmp.cmd("blockdev-del", {"node-name": "hb"})
    plug("hc", c, 4)
    out = wait_for("md5sum /dev/sdb", r"^[0-9a-f]{32}  /dev/sdb$")
    assert guest_md5s(out) == {"/dev/sdb": md5(c)}, vm.report()
    assert guest_md5s(vm.command("md5sum /dev/sda")) == {"/dev/sda": md5(a)}


# --- the write cache (issue 9 item 7) -------------------------------------------

def qemu_commands(trace_path):
    """[(target, lun, opcode, lba or None)] in the order QEMU parsed the
    commands, from its trace events scsi_req_parsed (+ scsi_req_parsed_lba,
    which follows for commands that carry an LBA)."""
    out = []
    parsed = re.compile(r"scsi_req_parsed target (\d+) lun (\d+) tag \d+ command (\d+) ")
    lba = re.compile(r"scsi_req_parsed_lba target (\d+) lun (\d+) tag \d+ command (\d+) lba (\d+)")
    with open(trace_path, errors="replace") as f:
        for line in f:
            m = lba.search(line)
            if m:
                t, l, op, at = (int(x) for x in m.groups())
                if out and out[-1][:3] == (t, l, op) and out[-1][3] is None:
                    out[-1] = (t, l, op, at)
                continue
            m = parsed.search(line)
            if m:
                t, l, op = (int(x) for x in m.groups())
                out.append((t, l, op, None))
    return out


WRITE10, SYNC10, SYNC16 = 0x2a, 0x35, 0x91


def after_first_write(cmds, target):
    """(opcode, lba) of `target`'s commands from its first WRITE(10) on."""
    mine = [(op, at) for t, l, op, at in cmds if t == target]
    first = next((i for i, (op, _) in enumerate(mine) if op == WRITE10), None)
    assert first is not None, f"no WRITE(10) reached target {target}: {mine}"
    return mine[first:]


def flush_ops(vm):
    """{qdev id: flush_operations} from QEMU's block statistics."""
    return {s.get("qdev", "").split("/")[-1]: s["stats"]["flush_operations"]
            for s in vm.qmp.cmd("query-blockstats")}


def test_write_cache_fua_and_poweroff_flush(make_vm, tmp_path):
    """SBC-4 §6.5.1: a disk whose MODE SENSE says DPOFUA=0 does not take
    FUA.  `dd oflag=dsync` (FUA writes) to a dpofua=off disk must reach
    QEMU as WRITEs each followed by a SYNCHRONIZE CACHE of the range; to a
    dpofua=on disk as WRITEs with FUA (QEMU flushes for each: its flush
    counter moves) and no SYNCHRONIZE CACHE; plain writes get neither.  At
    power-off every disk whose write cache is on (write-cache=on: WCE) gets
    one SYNCHRONIZE CACHE, the write-cache=off disk none.  The oracle is
    QEMU's own view: its trace of the commands it parsed and its block
    statistics over QMP (a SYNCHRONIZE CACHE and a FUA write each count
    one flush there)."""
    imgs = [disks.make_raw(tmp_path / f"{n}.img", 4 << 20, seed=f"wc-{n}") for n in "abc"]
    trace = tmp_path / "trace.log"
    devices = (controller("scsi0")
               + hd("a", imgs[0], 0, extra=",id=hda,dpofua=off,write-cache=on")
               + hd("b", imgs[1], 1, extra=",id=hdb,dpofua=on,write-cache=on")
               + hd("c", imgs[2], 2, extra=",id=hdc,dpofua=off,write-cache=off"))
    vm = make_vm("pc")
    vm.start(None, devices, extra=["-trace", "scsi_req_parsed", "-trace", "scsi_req_parsed_lba",
                                   "-D", str(trace)])
    vm.expect_prompt()
    before = flush_ops(vm)
    for dev in ("sda", "sdb", "sdc"):
        out = vm.command(f"dd if=/dev/zero of=/dev/{dev} bs=4096 count=2 seek=5 oflag=dsync")
        assert dd_stats(out) == (2, 0, 2, 0, 8192), out
    out = vm.command("dd if=/dev/zero of=/dev/sda bs=4096 count=1 seek=9")
    assert dd_stats(out) == (1, 0, 1, 0, 4096), out
    after = flush_ops(vm)
    assert after["hda"] - before["hda"] == 2, (before, after)   # the two SYNCHRONIZE CACHEs
    assert after["hdb"] - before["hdb"] == 2, (before, after)   # FUA, emulated by QEMU
    assert after["hdc"] - before["hdc"] == 2, (before, after)   # SYNCHRONIZE CACHE (dpofua=off)
    vm.send_line("poweroff")
    assert vm.wait(30) == SUCCESS, vm.report()

    cmds = qemu_commands(trace)
    # dpofua=off: each FUA write (8 blocks at LBA 40, 48) then a SYNCHRONIZE
    # CACHE from its LBA; the plain write at 72 alone; the power-off flush
    # of the whole disk (LBA 0) last.
    assert after_first_write(cmds, 0) == [(WRITE10, 40), (SYNC10, 40), (WRITE10, 48),
                                          (SYNC10, 48), (WRITE10, 72), (SYNC10, 0)], cmds
    # dpofua=on: no SYNCHRONIZE CACHE for the FUA writes; the power-off one.
    assert after_first_write(cmds, 1) == [(WRITE10, 40), (WRITE10, 48), (SYNC10, 0)], cmds
    # write-cache=off: dpofua=off, so the FUA writes are followed by a
    # SYNCHRONIZE CACHE; nothing at power-off (WCE=0: nothing cached).
    assert after_first_write(cmds, 2) == [(WRITE10, 40), (SYNC10, 40), (WRITE10, 48),
                                          (SYNC10, 48)], cmds
    for img in imgs:
        assert disks.read_sectors(img, 40, 16) == bytes(16 * 512)
