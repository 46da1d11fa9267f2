"""Faults: bad media, a LUN that vanishes mid-I/O, firmware that assigns
nothing, a backend that runs out of space.  Each ends in an error code and
a message (or, for a stop-on-error, in a clean resume), never a hang, a
crash or a corrupted buffer; the host checks the image bytes.

Errors are injected with blkdebug stacked raw -> blkdebug -> file, each
rule with the iotype of its event; slow I/O comes from a 1-IOPS throttle,
never from a blkdebug `break` (a reset while
a request is suspended deadlocks QEMU).  The scan reads no data block (the
first test checks that with QMP), so rules may sit on any sector.

Every VM runs the commands as a script (so each command's exit status is
printed) while the test drives QMP alongside; the VM watchdog and every QMP
wait are bounded, so a hang fails the test instead of stalling it.
"""
import hashlib
import json
import re
import time

import pytest

import disks
import qemurun
from test_blk import dd_stats, guest_md5s, split_steps

SUCCESS = qemurun.EXIT_SUCCESS
FAILURE = qemurun.EXIT_FAILURE
SECTOR = 512
VM_TIMEOUT = 40   # seconds: every VM here finishes in well under 10


# --- helpers ---------------------------------------------------------------------

def rule(event, sector, errno=5, once=False):
    """One blkdebug inject-error rule; iotype always matches the event
    (a rule without it would also fire on other kinds of I/O, §4.1)."""
    iotype = {"read_aio": "read", "write_aio": "write"}[event]
    return {"event": event, "iotype": iotype, "errno": errno, "sector": sector, "once": once}


def blkdebug_disk(path, rules, target=0, lun=0, node="bd", dev_id="hd0", **props):
    """A scsi-hd whose block stack is raw -> blkdebug(rules) -> file."""
    dbg = {"driver": "blkdebug", "node-name": f"{node}-dbg", "image": f"{node}-file",
           "inject-error": rules}
    return (["-blockdev", qemurun.props(driver="file", node_name=f"{node}-file",
                                        filename=str(path)),
             "-blockdev", json.dumps(dbg),
             "-blockdev", f"driver=raw,file={node}-dbg,node-name={node}"]
            + qemurun.scsi_hd(node, target, lun, id=dev_id, **props))


def run(vm, commands, devices, during=None, extra=()):
    """Boot with `commands` as the script; `during(vm)` (optional) runs in
    the test while the guest works.  Returns (QEMU status, [Step])."""
    # With QMP work to do, start paused and connect first: QEMU does not
    # keep events for a monitor that connects later.
    vm.start("; ".join(commands), devices, extra, timeout=VM_TIMEOUT, paused=bool(during))
    if during:
        vm.cont()
        during(vm)
    status = vm.wait(VM_TIMEOUT)
    got = split_steps(vm.output)
    assert [s.cmd for s in got] == list(commands), vm.report()
    return status, got


def blockstats(vm, qdev):
    for entry in vm.qmp.cmd("query-blockstats"):
        if entry.get("qdev", "").endswith(qdev):
            return entry["stats"]
    raise AssertionError(f"no blockstats for {qdev}")


def read10(lba, blocks=1):
    return f"28 00 {lba >> 24 & 255:02x} {lba >> 16 & 255:02x} {lba >> 8 & 255:02x} " \
           f"{lba & 255:02x} 00 00 {blocks:02x} 00"


def write10(lba, blocks=1):
    return "2a" + read10(lba, blocks)[2:]


def sectors(data, lba, count=1):
    return bytes(data[lba * SECTOR:(lba + count) * SECTOR])


def read_image(path):
    with open(str(path), "rb") as f:
        return f.read()


def assert_bytes(path, expected, vm):
    now = read_image(path)
    if now != bytes(expected):
        first = next((i for i in range(min(len(now), len(expected)))
                      if now[i] != expected[i]), min(len(now), len(expected)))
        raise AssertionError(f"{path}: differs from the model first at byte {first} "
                             f"(sector {first // SECTOR})\n" + vm.report())


# --- 1. media errors -------------------------------------------------------------

def test_read_media_errors(make_vm, tmp_path):
    """Sector 100 answers ENODATA (MEDIUM ERROR 03/11/00), sector 200 EIO
    (ABORTED COMMAND 0B/00/06), on every read.  Each read of them fails
    with that sense named and a non-zero status; a large read across one
    fails as a whole; dd stops at the bad record with everything before it
    copied intact; every other sector reads right; the kernel runs on and
    nothing was written to the faulty disk."""
    a = disks.make_raw(tmp_path / "a.img", 1 << 20, seed="faults-read")
    b = disks.make_raw(tmp_path / "b.img", 1 << 20)           # zeroes: dd's target
    a_data, model = read_image(a), bytearray(read_image(b))
    devices = (qemurun.controller("scsi0")
               + blkdebug_disk(a, [rule("read_aio", 100, errno=61),
                                   rule("read_aio", 200, errno=5)])
               + qemurun.disk(b, target=1))
    commands = [
        "sleep 1",                                   # QMP looks at the stats meanwhile
        f"sg_raw -r 512 /dev/sda {read10(100)}",
        f"sg_raw -r 512 /dev/sda {read10(200)}",
        "dd if=/dev/sda of=/dev/null bs=512 skip=100 count=1",
        "dd if=/dev/sda of=/dev/null bs=512 skip=200 count=1",
        "hexdump -C -s 51200 -n 16 /dev/sda",
        "dd if=/dev/sda of=/dev/sdb bs=64k count=1",    # sectors 0..127: all or nothing
        "dd if=/dev/sda of=/dev/sdb bs=512 count=150",  # stops at record 100
        "dd if=/dev/sda of=/dev/sdb bs=512 skip=101 seek=101 count=99",
        "dd if=/dev/sda of=/dev/sdb bs=512 skip=201 seek=201",
        f"sg_raw -r 512 /dev/sda {read10(99)}",
        "md5sum /dev/sda",
        "md5sum /dev/sdb",
        "lsblk",
    ]
    seen = {}

    def during(vm):
        vm.wait_for("vscsi> sleep 1\n", timeout=20)
        # Boot and scan are over, and no command has touched the disk yet:
        # the scan read no data block (so no sector is off limits here).
        seen.update(blockstats(vm, "hd0"))

    vm = make_vm("pc", timeout=VM_TIMEOUT)
    status, res = run(vm, commands, devices, during)
    assert status == FAILURE, vm.report()
    assert seen["rd_operations"] == 0 and seen["wr_operations"] == 0, seen

    medium, aborted = res[1], res[2]
    assert medium.status == 3, medium           # sg3_utils category: MEDIUM ERROR
    assert "SCSI Status: Check Condition" in medium.out, medium
    assert "Sense key: Medium Error\nAdditional sense: Unrecovered read error" in medium.out
    assert aborted.status == 11, aborted        # ABORTED COMMAND
    assert "Sense key: Aborted Command\nAdditional sense: I/O process terminated" in aborted.out

    # dd and hexdump: errno message, status 1, and the driver's log line
    # names the command, the LBA and the sense.
    for s, lba, sense in ((res[3], 100, r"MEDIUM ERROR 11/00: unrecovered read error"),
                          (res[4], 200, r"ABORTED COMMAND 00/06: I/O process terminated")):
        assert s.status == 1, s
        assert "dd: error reading '/dev/sda': Input/output error" in s.out, s
        assert dd_stats(s.out) == (0, 0, 0, 0, 0), s
        assert re.search(rf"^vscsi: vscsi 0:0:0:0: sda: read of 1 block at LBA {lba} failed: "
                         rf"EIO: I/O error, {sense}$", s.out, re.M), s
    assert res[5].status == 1 and "hexdump: /dev/sda: Input/output error" in res[5].out, res[5]

    big = res[6]
    assert big.status == 1 and dd_stats(big.out) == (0, 0, 0, 0, 0), big
    assert "sda: read of 128 blocks at LBA 0 failed: EIO: I/O error, MEDIUM ERROR 11/00" in big.out
    partial = res[7]
    assert partial.status == 1, partial
    assert "dd: error reading '/dev/sda': Input/output error" in partial.out, partial
    assert dd_stats(partial.out) == (100, 0, 100, 0, 100 * SECTOR), partial
    assert res[8].status == 0 and dd_stats(res[8].out) == (99, 0, 99, 0, 99 * SECTOR), res[8]
    rest = 2048 - 201
    assert res[9].status == 0 and dd_stats(res[9].out) == (rest, 0, rest, 0, rest * SECTOR)

    # Sector 99, next to the bad one, reads right.
    good = res[10]
    assert good.status == 0 and "SCSI Status: Good" in good.out, good
    first = sectors(a_data, 99)[:16]
    want = " ".join(f"{x:02x}" for x in first[:8]) + "  " + " ".join(f"{x:02x}" for x in first[8:])
    assert re.search(rf"^ 00\s+{want}\b", good.out, re.M), good

    # A whole-disk md5sum never prints a wrong sum: it fails.
    assert res[11].status == 1 and "md5sum: /dev/sda: Input/output error" in res[11].out
    assert not guest_md5s(res[11].out)
    # sdb holds sda's data except the two bad sectors, which stayed zero.
    for lba in list(range(100)) + list(range(101, 200)) + list(range(201, 2048)):
        model[lba * SECTOR:(lba + 1) * SECTOR] = sectors(a_data, lba)
    assert guest_md5s(res[12].out) == {"/dev/sdb": hashlib.md5(model).hexdigest()}
    assert res[13].status == 0 and re.search(r"^sda\s+0:0:0:0\s+512\s+disk\s+0\s+1048576\b",
                                              res[13].out, re.M), res[13]
    assert_bytes(b, model, vm)
    assert_bytes(a, a_data, vm)          # nothing was written to the faulty disk


def test_write_error_space_allocation_failed(make_vm, tmp_path):
    """werror=report and ENOSPC on sector 300: the WRITE ends in DATA
    PROTECT 07/27/07 (space allocation failed), dd says "No space left on
    device" with status 1, the disk is not taken for read-only, the sector
    keeps its old data, and a write next to it works."""
    a = disks.make_raw(tmp_path / "a.img", 1 << 20, seed="faults-write")
    b = disks.make_raw(tmp_path / "b.img", 1 << 20, seed="faults-src")
    model, src = bytearray(read_image(a)), read_image(b)
    devices = (qemurun.controller("scsi0")
               + blkdebug_disk(a, [rule("write_aio", 300, errno=28)], werror="report")
               + qemurun.disk(b, target=1))
    commands = [
        f"sg_raw -s 512 -i /dev/sdb /dev/sda {write10(300)}",
        "dd if=/dev/sdb of=/dev/sda bs=512 seek=300 count=1",
        "dd if=/dev/sdb of=/dev/sda bs=512 skip=1 seek=301 count=1 conv=fsync",
        "lsblk",
        "dd if=/dev/sdb of=/dev/sda bs=512 skip=2 seek=302 count=1",
    ]
    vm = make_vm("pc", timeout=VM_TIMEOUT)
    status, res = run(vm, commands, devices)
    assert status == FAILURE, vm.report()
    sg = res[0]
    assert sg.status == 7, sg                   # DATA PROTECT
    assert "Sense key: Data Protect\nAdditional sense: Space allocation failed write protect" \
        in sg.out, sg
    dd = res[1]
    assert dd.status == 1, dd
    assert "dd: error writing '/dev/sda': No space left on device" in dd.out, dd
    assert dd_stats(dd.out) == (1, 0, 0, 0, 0), dd
    assert re.search(r"^vscsi: vscsi 0:0:0:0: sda: write of 1 block at LBA 300 failed: ENOSPC: "
                     r".*, DATA PROTECT 27/07: space allocation failed write protect$",
                     dd.out, re.M), dd
    assert res[2].status == 0 and dd_stats(res[2].out) == (1, 0, 1, 0, SECTOR), res[2]
    # Out of space is not write protection: the disk stays writable.
    assert re.search(r"^sda\s+0:0:0:0\s+512\s+disk\s+0\s", res[3].out, re.M), res[3]
    assert res[4].status == 0, res[4]
    model[301 * SECTOR:303 * SECTOR] = sectors(src, 1, 2)
    assert_bytes(a, model, vm)


# --- 2. a LUN removed while reads are queued --------------------------------------

def throttled_disk(path, target, lun, dev_id):
    """raw file -> throttle at 1 IOPS: commands queue up inside QEMU."""
    return ["-object", "throttle-group,id=tg0,x-iops-total=1,x-iops-total-max=1",
            "-blockdev", qemurun.props(driver="file", node_name="slow-file", filename=str(path)),
            "-blockdev", "driver=raw,node-name=slow-raw,file=slow-file",
            "-blockdev", "driver=throttle,node-name=slow,throttle-group=tg0,file=slow-raw",
            "-device", f"scsi-hd,drive=slow,bus=scsi0.0,scsi-id={target},lun={lun},id={dev_id}"]



@pytest.mark.parametrize("neighbour", ["other-target", "same-target"])
def test_lun_removed_with_reads_queued(make_vm, tmp_path, neighbour):
    """dd copies a 1-IOPS disk, 16 KiB per record = 4 commands in flight
    (max_sectors=8); once the first record is through, QMP device_del
    removes the disk.  QEMU queues the REMOVED event, then cancels the
    queued READs (ABORTED); their retries meet BAD_TARGET (alone on its
    target) or ILLEGAL REQUEST 05/20/00 (QEMU's stand-in LUN 0 when LUN 1
    remains).  dd ends at once with "No such device" and status 1, having
    written only whole records of the right data; lsscsi no longer lists
    the LUN, /dev/sda is gone, the other disks read right and the shell
    runs on.  Without the unplug the copy would take a minute."""
    slow = disks.make_raw(tmp_path / "slow.img", 1 << 20, seed="faults-slow")
    keep = disks.make_raw(tmp_path / "keep.img", 1 << 20, seed="faults-keep")
    out = disks.make_raw(tmp_path / "out.img", 1 << 20)
    slow_data, model = read_image(slow), bytearray(read_image(out))
    keep_at = (0, 1) if neighbour == "same-target" else (1, 0)
    ctrl = ["-device", "virtio-scsi-pci,id=scsi0,max_sectors=8"]
    devices = (ctrl + throttled_disk(slow, 0, 0, "slowdev")
               + qemurun.disk(keep, target=keep_at[0], lun=keep_at[1])
               + qemurun.disk(out, target=2))
    commands = ["dd if=/dev/sda of=/dev/sdc bs=16k count=16",
                "lsscsi", "md5sum /dev/sda", "md5sum /dev/sdb /dev/sdc", "echo alive"]
    seen = {}

    def during(vm):
        vm.wait_for("vscsi> dd ", timeout=20)
        deadline = time.monotonic() + 15
        while blockstats(vm, "slowdev")["rd_operations"] < 5:   # record 1 done
            assert time.monotonic() < deadline, vm.report()
            time.sleep(0.05)
        assert "records in" not in vm.output, vm.report()       # still copying
        t0 = time.monotonic()
        # A surprise removal: the guest hears of it from the event queue.
        # (DEVICE_DELETED is not awaited: QEMU may emit it only once the
        # cancelled requests let go, and by then the script may be over.)
        vm.qmp.cmd("device_del", id="slowdev")
        vm.wait_for("vscsi> lsscsi", timeout=10)                 # dd is over
        seen["dd_end_after_unplug"] = time.monotonic() - t0

    vm = make_vm("pc", timeout=VM_TIMEOUT)
    status, res = run(vm, commands, devices, during)
    assert status == FAILURE, vm.report()
    dd = res[0]
    assert dd.status == 1, dd
    assert re.search(r"^dd: error reading '/dev/sda': No such device$", dd.out, re.M), dd
    assert re.search(r"^vscsi: vscsi 0:0:0:0: sda removed$", dd.out, re.M), dd
    # The driver's line: the removal, not what the device said on the way out.
    assert re.search(r"^vscsi: vscsi 0:0:0:0: read of 32 blocks at LBA \d+ failed: "
                     r"ENODEV: device gone$", dd.out, re.M), dd
    full_in, part_in, full_out, part_out, copied = dd_stats(dd.out)
    assert (part_in, part_out) == (0, 0) and 1 <= full_in == full_out < 16, dd
    assert copied == full_out * 16384, dd

    rows = res[1].out
    assert "[0:0:0:0]" not in rows and "/dev/sda" not in rows, rows
    assert f"[0:0:{keep_at[0]}:{keep_at[1]}]" in rows and "[0:0:2:0]" in rows, rows
    assert res[2].status == 1 and "md5sum: /dev/sda: No such file or directory" in res[2].out
    model[:copied] = slow_data[:copied]
    assert res[3].status == 0, res[3]
    assert guest_md5s(res[3].out) == {"/dev/sdb": disks.md5_file(keep),
                                      "/dev/sdc": hashlib.md5(model).hexdigest()}, res[3]
    assert res[4].status == 0 and "alive" in res[4].out
    assert_bytes(out, model, vm)
    assert_bytes(slow, slow_data, vm)
    print(f"{neighbour}: dd ended {seen['dd_end_after_unplug']:.2f} s after device_del, "
          f"{full_out} records copied")


# --- 3. microvm with PCIe: nobody assigns BARs but our kernel ------------------------

MMIO_WINDOW = (0xC0000000, 0xE0000000)   # microvm,pcie=on's 32-bit MMIO window (§7)


def pci_functions(buses):
    """Every function of a query-pci answer, bridges' children included."""
    for bus in buses:
        for dev in bus["devices"]:
            yield dev
            if "pci_bridge" in dev:
                yield from pci_functions([dev["pci_bridge"]])


def test_microvm_pcie_kernel_assigns_bars(make_vm, tmp_path):
    """-M microvm,pcie=on: the firmware leaves every BAR unassigned (§7),
    so the kernel places them in the MMIO window and programs the root
    port's window.  One modern-only controller behind a root port and one
    transitional on the root bus: QEMU's own view (query-pci) shows every
    memory BAR inside the window, aligned and not overlapping, the
    transitional's I/O BAR left alone (there is no I/O window), and both
    controllers read their disks right through MSI-X."""
    a = disks.make_raw(tmp_path / "a.img", 2 << 20, seed="faults-mvm-a")
    b = disks.make_raw(tmp_path / "b.img", 1 << 20, seed="faults-mvm-b")
    devices = (["-device", "pcie-root-port,id=rp1,chassis=1",
                "-device", "virtio-scsi-pci,id=scsi0,bus=rp1",
                "-device", "virtio-scsi-pci,id=scsi1"]
               + qemurun.disk(a, target=0) + qemurun.disk(b, target=0, bus="scsi1", node="nb"))
    commands = ["sleep 1", "lspci", "virtio", "md5sum /dev/sda /dev/sdb"]
    pci = []

    def during(vm):
        vm.wait_for("vscsi> sleep", timeout=20)
        pci.extend(vm.qmp.cmd("query-pci"))

    vm = make_vm("microvm,pcie=on", timeout=VM_TIMEOUT)
    status, res = run(vm, commands, devices, during)
    assert status == SUCCESS, vm.report()
    lspci = res[1].out
    assert re.search(r"^00:01\.0 0604: 1b36:000c .*PCI bridge$", lspci, re.M), lspci
    assert re.search(r"^01:00\.0 0100: 1af4:1048 .*SCSI storage controller$", lspci, re.M), lspci
    assert re.search(r"^00:02\.0 0100: 1af4:1004 .*SCSI storage controller$", lspci, re.M), lspci
    info = res[2].out
    assert re.search(r"^host0: 0000:01:00\.0 transport=pci-modern intr=msix$", info, re.M), info
    assert re.search(r"^host1: 0000:00:02\.0 transport=pci-modern intr=msix$", info, re.M), info
    assert guest_md5s(res[3].out) == {"/dev/sda": disks.md5_file(a),
                                      "/dev/sdb": disks.md5_file(b)}, res[3]

    funcs = {f.get("qdev_id"): f for f in pci_functions(pci)}
    mem = []
    for name in ("scsi0", "scsi1", "rp1"):
        for r in funcs[name]["regions"]:
            if r["type"] == "io":
                # No I/O window on microvm: the legacy BAR stays unassigned
                # (the driver uses the modern interface).
                assert name == "scsi1" and r["address"] in (-1, 0xffffffffffffffff), r
                continue
            lo = r["address"]
            assert MMIO_WINDOW[0] <= lo and lo + r["size"] <= MMIO_WINDOW[1], (name, r)
            assert lo % r["size"] == 0, (name, r)
            mem.append((lo, lo + r["size"], name, r["bar"]))
    assert {m[2] for m in mem} == {"scsi0", "scsi1", "rp1"}, mem
    mem.sort()
    for x, y in zip(mem, mem[1:]):
        assert x[1] <= y[0], f"BARs overlap: {x} {y}"
    window = funcs["rp1"]["pci_bridge"]["bus"]["memory_range"]
    for lo, hi, name, bar in mem:
        if name == "scsi0":                 # behind the root port: inside its window
            assert window["base"] <= lo and hi - 1 <= window["limit"], (window, lo, hi)


# --- 4. out of space with the default werror: the VM stops, `cont` goes on ----------

def test_enospc_stops_vm_and_cont_completes_write(make_vm, tmp_path):
    """The backend says ENOSPC once at sector 300 and once at sector 400,
    with the default werror (enospc = stop): each time QEMU pauses the VM
    (BLOCK_IO_ERROR nospace, status io-error); the guest waits without
    timing out; after `cont` QEMU retries and the guest's WRITE completes
    with status GOOD (an sg_raw, then a multi-block dd with fsync), the
    driver counted no timeout, abort or reset, and the image holds exactly
    the data written."""
    a = disks.make_raw(tmp_path / "a.img", 1 << 20, seed="faults-enospc")
    b = disks.make_raw(tmp_path / "b.img", 1 << 20, seed="faults-enospc-src")
    model, src = bytearray(read_image(a)), read_image(b)
    devices = (qemurun.controller("scsi0")
               + blkdebug_disk(a, [rule("write_aio", 300, errno=28, once=True),
                                   rule("write_aio", 400, errno=28, once=True)])
               + qemurun.disk(b, target=1))
    commands = [f"sg_raw -s 512 -i /dev/sdb /dev/sda {write10(300)}",
                "dd if=/dev/sdb of=/dev/sda bs=4k skip=1 seek=48 count=4 conv=fsync",
                "virtio"]
    stops = []

    def during(vm):
        for cmd in commands[:2]:
            vm.wait_for(f"vscsi> {cmd}\n", timeout=20)
            err = vm.qmp.wait_event("BLOCK_IO_ERROR", timeout=10)["data"]
            vm.qmp.wait_event("STOP", timeout=10)
            state = vm.qmp.cmd("query-status")
            io = {d.get("qdev"): d.get("io-status") for d in vm.qmp.cmd("query-block")}
            time.sleep(1)                    # paused: the command must not end
            after = vm.output
            stops.append((err, state, io["hd0"], after))
            vm.qmp.cmd("cont")
            vm.qmp.wait_event("RESUME", timeout=10)

    vm = make_vm("pc", timeout=VM_TIMEOUT)
    status, res = run(vm, commands, devices, during)
    assert status == SUCCESS, vm.report()
    assert len(stops) == 2, stops
    for (err, state, io_status, text), cmd in zip(stops, commands):
        assert err["operation"] == "write" and err["action"] == "stop" and err["nospace"], err
        assert state["status"] == "io-error" and not state["running"], state
        assert io_status == "nospace", io_status
        assert text.rstrip().endswith(cmd), f"output moved on while paused:\n{text[-300:]}"
    sg = res[0]
    assert sg.status == 0 and "SCSI Status: Good" in sg.out and "Sense" not in sg.out, sg
    dd = res[1]
    assert dd.status == 0 and dd_stats(dd.out) == (4, 0, 4, 0, 16384), dd
    assert re.search(r"timeouts=0 aborts=0 lun_resets=0 device_resets=0", res[2].out), res[2]
    model[300 * SECTOR:301 * SECTOR] = src[:SECTOR]
    model[48 * 4096:52 * 4096] = src[4096:5 * 4096]
    assert_bytes(a, model, vm)


@pytest.mark.parametrize("verbosity", ["", "vscsi.verbose=0 "])
def test_bring_up_failure_says_why(make_vm, tmp_path, verbosity):
    """A controller whose queues are too short for one command (QEMU's
    smallest virtqueue_size, 3, gives split rings of 2 entries) fails to
    come up; the boot output says which controller and why at the default
    verbosity and at verbose=0, and script mode reports the failure."""
    img = disks.make_raw(tmp_path / "d.img", 1 << 20, seed=5)
    ctrl = qemurun.controller("scsi0", "pc")
    ctrl[-1] += ",virtqueue_size=3"  # QEMU's spelling, with the underscore
    devices = ctrl + qemurun.disk(img, target=0)
    vm = make_vm("pc")
    res = vm.run_script(verbosity + "echo after", devices, timeout=VM_TIMEOUT)
    assert res.status == FAILURE, vm.report()
    assert re.search(r"vscsi [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d: request queue 2 takes "
                     r"chains of at most 2 descriptors", res.text), vm.report()
    assert re.search(r"probe failed", res.text), vm.report()
    assert "after" in res.text, vm.report()
