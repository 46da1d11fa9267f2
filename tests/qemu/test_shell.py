"""Issue #9, the shell: the line editor (long lines, tabs, editing keys),
command lines of any length in script mode, Ctrl-C on running commands, and
the shell's tools (blockdev, sg_raw, sg_inq, bench, tmf's numbers, the crash
aid), plus the driver options README promises (vscsi.noscan, vscsi.veto).

Oracles: the host's images (bytes and sizes), QEMU's own view over QMP
(negotiated features; the request queues' rings: everything the driver made
available came back as used, and the device holds nothing), and QEMU's exit
status.
"""
import os
import re
import time

import pytest

import disks
import qemurun
from test_blk import split_steps, step
from vm import BOOTS, PROMPT, boot_params

SUCCESS, FAILURE, PANIC = qemurun.EXIT_SUCCESS, qemurun.EXIT_FAILURE, qemurun.EXIT_PANIC
BIG = 1 << 40           # a null-co disk no command gets through in a test's time
# Ctrl-C must stop a command within a fraction of a second of guest time;
# the bound is host time (measured: 1 to 32 ms on this host), with room for
# a loaded 2-core host.
CTRL_C_SECONDS = 1.0


def line(text):
    """A regex matching `text` as a whole output line."""
    return re.compile(rf"^{re.escape(text)}$", re.M)


def one_disk(path, target=0, **kw):
    return qemurun.controller("scsi0") + qemurun.disk(path, target=target, **kw)


def null_disk(node, target, size=BIG):
    return qemurun.blockdev_null(node, size) + qemurun.scsi_hd(node, target=target)


def interactive(make_vm, devices=(), cmdline=None, machine="pc", uefi=False):
    vm = make_vm(machine, uefi=uefi)
    vm.start(cmdline, devices)
    vm.expect_prompt()
    return vm


def type_and_wait(vm, data, timeout=None):
    """Type raw bytes (editing keys included), return the output up to the
    next prompt."""
    vm.send(data)
    return vm.expect_prompt(timeout)


# --- the request queues, as QEMU sees them ------------------------------------

def queue_state(vm, ctrl="scsi0"):
    """{queue: (in use by the device, avail.idx, used.idx)} for every request
    queue of `ctrl`, read by QEMU from the rings in guest memory."""
    path = f"/machine/peripheral/{ctrl}/virtio-backend"
    nvqs = vm.qmp.cmd("x-query-virtio-status", path=path)["num-vqs"]
    out = {}
    for q in range(2, nvqs):
        st = vm.qmp.cmd("x-query-virtio-queue-status", path=path, queue=q)
        el = vm.qmp.cmd("x-query-virtio-queue-element", path=path, queue=q)
        out[q] = (st["inuse"], el["avail"]["idx"], el["used"]["idx"])
    return out


def assert_nothing_in_flight(vm):
    """No request left anywhere: the device holds none (QEMU's inuse), every
    buffer the driver made available came back (avail.idx == used.idx), and
    the driver's own count agrees (`virtio`)."""
    for q, (inuse, avail, used) in queue_state(vm).items():
        assert inuse == 0 and avail == used, \
            f"queue {q}: inuse {inuse}, avail.idx {avail}, used.idx {used}\n" + vm.report()
    out = vm.command("virtio")
    counts = re.findall(r"in flight:? (\d+)", out)
    assert counts and all(int(n) == 0 for n in counts), out + vm.report()


# --- 1. interactive lines -------------------------------------------------------

def test_overlong_line_is_refused_whole(make_vm):
    vm = interactive(make_vm)
    long = "echo " + "x" * 10000 + "; echo RAN"
    out = type_and_wait(vm, long + "\r", timeout=60)
    assert re.search(r"^vscsi: line too long \(10015 characters, at most \d+\): "
                     r"nothing of it was run$", out, re.M), out[-400:] + vm.report()
    assert not line("RAN").search(out), vm.report()
    assert not re.search(r"^x+$", out, re.M), "part of the line ran\n" + vm.report()
    assert line("after").search(vm.command("echo after")), vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()


def test_long_line_that_fits_runs_whole(make_vm, disk_image, md5):
    """The issue's example: a 514-character line used to be cut at 511 and
    its `dd ... seek=8000` became `seek=8`, writing sector 8."""
    img = disk_image("d0", 16 << 20, seed=9)
    sector0 = disks.read_sectors(img, 0, 1)
    sector8 = disks.read_sectors(img, 8, 1)
    vm = interactive(make_vm, one_disk(img))
    cmdline = "echo " + "x" * 463 + "; dd if=/dev/sda of=/dev/sda count=1 seek=8000"
    assert len(cmdline) == 514
    out = type_and_wait(vm, cmdline + "\r", timeout=30)
    assert line("x" * 463).search(out), vm.report()
    assert "1+0 records out" in out, vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()
    assert disks.read_sectors(img, 8000, 1) == sector0, "seek=8000 was not honoured"
    assert disks.read_sectors(img, 8, 1) == sector8, "sector 8 was written"


def test_tabs_separate_words(make_vm):
    vm = interactive(make_vm)
    out = type_and_wait(vm, b"echo\tone\t\ttwo\r")
    assert line("one two").search(out), vm.report()
    out = type_and_wait(vm, b"echo 'a\tb'\r")
    assert line("a\tb").search(out), "a tab inside quotes is kept\n" + vm.report()


def test_line_editing_keys(make_vm):
    """README: backspace edits, Ctrl-U erases the line, Ctrl-C drops it."""
    vm = interactive(make_vm)
    out = type_and_wait(vm, b"echo abcX\x7f\x7fd\r")          # DEL twice
    assert line("abd").search(out), vm.report()
    out = type_and_wait(vm, b"echo xy\x08z\r")                 # BS
    assert line("xz").search(out), vm.report()
    out = type_and_wait(vm, b"echo wrong\x15echo right\r")     # Ctrl-U
    assert line("right").search(out) and not line("wrong").search(out), vm.report()
    out = type_and_wait(vm, b"echo dropped\x03")              # Ctrl-C
    assert "^C" in out and not line("dropped").search(out), vm.report()
    assert line("next").search(vm.command("echo next")), vm.report()
    # Cursor keys send escape sequences: nothing of them lands in the line.
    out = type_and_wait(vm, b"echo \x1b[Dkey\x1b[A\r")
    assert line("key").search(out), vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()


# --- 2. command lines of any length ------------------------------------------------

def long_script(words=400, filler=5500):
    """Many commands and one long word, about 10 KiB; the last is echo SECOND."""
    cmds = [f"echo w{i:04d}" for i in range(words)]
    cmds.append("echo " + "y" * filler)
    cmds.append("echo SECOND")
    return "; ".join(cmds)


def assert_long_script_ran(vm, status, text, words=400, filler=5500):
    assert status == SUCCESS, vm.report()
    got = re.findall(r"^w(\d{4})$", text, re.M)
    assert got == [f"{i:04d}" for i in range(words)], vm.report()
    assert line("y" * filler).search(text), vm.report()
    assert line("SECOND").search(text), vm.report()
    assert f"0 of {words + 2} commands failed" in text, vm.report()


@pytest.mark.parametrize("boot", boot_params())
def test_ten_kib_script(vm, boot):
    """BIOS: -append; UEFI: fw_cfg opt/vscsi/cmdline.  QEMU's PVH loader
    keeps -append in a 4096-byte buffer and writes past it (the kernel then
    takes the command line and the memory map from fw_cfg)."""
    script = long_script()
    assert 10 << 10 <= len(script) < 11 << 10
    status, text = vm.run_script(script)
    assert_long_script_ran(vm, status, text)
    if not boot.uefi:
        # The loader overran its buffer and the start info: the kernel said
        # so and went to fw_cfg (the path this test is about).
        assert "PVH start info is missing or damaged" in text, vm.report()


def test_twenty_kib_append(make_vm):
    """Close to the longest -append QEMU 7.2's PVH loader survives (about
    23.8 KB here; longer, its own overflow stops the boot before the kernel
    runs)."""
    vm = make_vm("pc")
    script = long_script(words=1300, filler=5000)
    assert len(script) > 20000
    status, text = vm.run_script(script)
    assert_long_script_ran(vm, status, text, words=1300, filler=5000)


@pytest.mark.uefi
def test_fw_cfg_script_from_a_file(make_vm, tmp_path):
    """fw_cfg files have no length limit: 64 KiB of script from a file."""
    script = long_script(words=5000, filler=8000)
    assert len(script) > 64 << 10
    path = tmp_path / "script.txt"
    path.write_text(script)
    vm = make_vm("q35", uefi=True)
    status, text = vm.run_script(
        None, extra=["-fw_cfg", f"name={qemurun.FW_CFG_CMDLINE},file={path}"], timeout=240)
    assert_long_script_ran(vm, status, text, words=5000, filler=8000)


def test_script_larger_than_memory_is_refused(make_vm, tmp_path):
    """A command line the heap cannot hold (32 MiB) is refused whole with
    status 35: nothing of it runs, and no shell waits for input."""
    path = tmp_path / "huge.txt"
    with open(path, "w") as f:
        f.write("echo FIRST; echo ")
        f.write("z" * (40 << 20))
    vm = make_vm("pc")
    status, text = vm.run_script(
        None, extra=["-fw_cfg", f"name={qemurun.FW_CFG_CMDLINE},file={path}"], timeout=60)
    assert status == FAILURE, vm.report()
    assert re.search(r"command line in fw_cfg opt/vscsi/cmdline is 41943057 bytes, more "
                     r"than memory holds: nothing was run", text), vm.report()
    assert not line("FIRST").search(text) and PROMPT not in text, vm.report()


# --- 3. Ctrl-C ---------------------------------------------------------------------

def ctrl_c_rig(make_vm, disk_image):
    """A small disk of known content (sda) and two 1 TiB null-co disks
    (sdb, sdc) no command gets through."""
    img = disk_image("small", 4 << 20, seed=3)
    devices = (qemurun.controller("scsi0") + qemurun.disk(img, target=0)
               + null_disk("big1", 1) + null_disk("big2", 2))
    return interactive(make_vm, devices), img


def interrupt(vm, command, started, settle=0.5):
    """Run `command`, wait until `started` appears (and a moment more, so the
    command is well into its work), send Ctrl-C; returns (output after the
    Ctrl-C up to the prompt, seconds the prompt took)."""
    vm.send_line(command)
    vm.wait_for(started, timeout=30)
    time.sleep(settle)
    assert PROMPT not in vm.output[vm._cursor:], f"{command} ended by itself\n" + vm.report()
    t0 = time.monotonic()
    vm.send(b"\x03")
    out = vm.expect_prompt(timeout=30)
    return out, time.monotonic() - t0


def assert_recovered(vm, img, md5):
    want = md5(img)
    assert f"{want}  /dev/sda" in vm.command("md5sum /dev/sda", timeout=30), vm.report()
    assert_nothing_in_flight(vm)


@pytest.mark.parametrize("command,started", [
    ("md5sum /dev/sdb", "md5sum /dev/sdb\n"),
    ("dd if=/dev/sdb of=/dev/sdc bs=1M", "dd if=/dev/sdb of=/dev/sdc bs=1M\n"),
    ("hexdump -C /dev/sdb", "\n*\n"),
    ("sleep 100", "sleep 100\n"),
    ("bench /dev/sdb -t 100 -q 32", "4 KiB random reads"),
], ids=["md5sum", "dd", "hexdump", "sleep", "bench"])
def test_ctrl_c_stops_a_running_command(make_vm, disk_image, md5, command, started):
    vm, img = ctrl_c_rig(make_vm, disk_image)
    out, took = interrupt(vm, command, started)
    assert "^C" in out, vm.report()
    assert took < CTRL_C_SECONDS, f"the prompt came back after {took:.2f} s\n" + vm.report()
    assert not re.search(r"^[0-9a-f]{32}  ", out, re.M), vm.report()
    if command.startswith("dd"):
        # As coreutils dd on SIGINT: the statistics of what was copied.
        assert re.search(r"^\d+\+\d+ records in$", out, re.M), vm.report()
    assert_recovered(vm, img, md5)
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()


def test_ctrl_c_in_a_script_stops_it_with_status_130(make_vm):
    vm = make_vm("pc")
    vm.start("echo before; sleep 100; echo NOT-REACHED")
    vm.wait_for("vscsi> sleep 100\n", timeout=30)
    time.sleep(0.3)
    vm.send(b"\x03")
    status = vm.wait(30)
    text = vm.output
    assert status == FAILURE, vm.report()
    assert "vscsi: command failed with status 130: sleep 100" in text, vm.report()
    assert "NOT-REACHED" not in text.replace("echo NOT-REACHED", ""), vm.report()


def test_ctrl_c_typed_with_the_command(make_vm):
    """Enter and Ctrl-C in one burst: the Ctrl-C is for the command."""
    vm = interactive(make_vm)
    t0 = time.monotonic()
    vm.send(b"sleep 100\r\x03")
    out = vm.expect_prompt(timeout=30)
    assert "^C" in out and time.monotonic() - t0 < 5, vm.report()
    assert line("still here").search(vm.command("echo still here")), vm.report()


def test_typeahead_survives_a_running_command(make_vm):
    """Keys typed while a command runs are kept for the prompt."""
    vm = interactive(make_vm)
    vm.send_line("sleep 1")
    vm.send_line("echo typed ahead")
    out = vm.expect_prompt(timeout=30)
    out += vm.expect_prompt(timeout=30)
    assert line("typed ahead").search(out), vm.report()


# --- 10. the tools ------------------------------------------------------------------

def test_blockdev_sizes(make_vm, tmp_path):
    """BLKGETSIZE64 / BLKSSZGET / BLKPBSZGET through blockdev, against the
    host's image sizes."""
    a = disks.make_raw(tmp_path / "a.img", (16 << 20) + 3 * 512, seed=1)
    b = disks.make_raw(tmp_path / "b.img", 8 << 20, seed=2)
    devices = (qemurun.controller("scsi0") + qemurun.disk(a, target=0)
               + qemurun.blockdev_file("b", str(b))
               + ["-device", "scsi-hd,bus=scsi0.0,scsi-id=1,lun=0,drive=b,"
                             "logical_block_size=4096,physical_block_size=4096"])
    vm = make_vm("pc")
    status, got = steps_of(vm, ["blockdev --getsize64 --getss /dev/sda",
                                "blockdev --getsz --getsize64 --getss --getpbsz /dev/sdb",
                                "blockdev --getsize64 /dev/nosuch"], devices)
    assert step(got, "blockdev --getsize64 --getss /dev/sda").out.split() == \
        [str(os.path.getsize(a)), "512"], vm.report()
    size_b = os.path.getsize(b)
    assert step(got, "blockdev --getsz --getsize64 --getss --getpbsz /dev/sdb").out.split() \
        == [str(size_b // 512), str(size_b), "4096", "4096"], vm.report()
    bad = step(got, "blockdev --getsize64 /dev/nosuch")
    assert bad.status != 0 and "No such file or directory" in bad.out, vm.report()
    assert status == FAILURE, vm.report()


def steps_of(vm, commands, devices, extra=()):
    status, text = vm.run_script("; ".join(commands), devices, extra=extra)
    got = split_steps(text)
    assert [s.cmd for s in got] == commands, vm.report()
    return status, got


HEXLINE = re.compile(r"^ ([0-9a-f]{2,}) +([0-9a-f]{2}(?: {1,2}[0-9a-f]{2}){0,15})", re.M)


def dumped_bytes(out):
    """The bytes of an sg3_utils-style hex dump (" 00     xx xx ... ascii"),
    checking that the offsets run on."""
    data = bytearray()
    for m in HEXLINE.finditer(out):
        assert int(m.group(1), 16) == len(data), out
        data += bytes.fromhex(m.group(2).replace(" ", ""))
    return bytes(data)


def test_sg_inq_vpd_shows_the_page_length(make_vm, disk_image):
    img = disk_image("d0", 4 << 20, seed=1)
    vm = make_vm("pc")
    cmds = ["sg_inq -p 0x00 /dev/sda", "sg_inq -p 0x83 /dev/sda", "sg_inq -p 0xb0 /dev/sda"]
    status, got = steps_of(vm, cmds, one_disk(img, serial="SER123", wwn="0x5000c50015ea71ac"))
    for c in cmds:
        page = dumped_bytes(step(got, c).out)
        assert len(page) >= 4, vm.report()
        assert len(page) == 4 + int.from_bytes(page[2:4], "big"), \
            f"{c}: {len(page)} bytes dumped, the page says {4 + int.from_bytes(page[2:4], 'big')}\n" \
            + vm.report()
    assert status == SUCCESS, vm.report()


def test_sg_raw_received_bytes(make_vm, disk_image):
    """READ(10) of one 512-byte block into a 1024-byte buffer.  QEMU 7.2's
    scsi-hd reports a residual of 2^32 - 512 for it (it starts from the
    CDB's 512 bytes and subtracts the whole 1024-byte buffer), which no
    byte count can be derived from: the tool must not print one as fact."""
    img = disk_image("d0", 4 << 20, seed=5)
    vm = make_vm("pc")
    read10 = "sg_raw -r 1024 /dev/sda 28 00 00 00 00 00 00 00 01 00"
    exact = "sg_raw -r 512 /dev/sda 28 00 00 00 00 00 00 00 01 00"
    cap = "sg_raw -r 64 /dev/sda 25 00 00 00 00 00 00 00 00 00"
    status, got = steps_of(vm, [read10, exact, cap], one_disk(img))
    sector0 = disks.read_sectors(img, 0, 1)
    out = step(got, read10).out
    assert "Received 0 bytes" not in out, vm.report()
    assert re.search(r"byte count unknown", out), vm.report()
    assert dumped_bytes(out)[:512] == sector0, vm.report()
    out = step(got, exact).out
    assert "Received 512 bytes of data:" in out and dumped_bytes(out) == sector0, vm.report()
    out = step(got, cap).out      # an emulated command: QEMU's residual is right
    assert "Received 8 bytes of data:" in out, vm.report()
    data = dumped_bytes(out)
    assert int.from_bytes(data[:4], "big") == os.path.getsize(img) // 512 - 1, vm.report()
    assert status == SUCCESS, vm.report()


def test_sg_raw_options_after_the_cdb(make_vm, disk_image):
    img = disk_image("d0", 4 << 20, seed=1)
    vm = make_vm("pc")
    cmd = "sg_raw /dev/sda 12 00 00 00 60 00 -r 96"
    status, got = steps_of(vm, [cmd], one_disk(img))
    out = step(got, cmd).out
    assert "Received 96 bytes of data:" in out, vm.report()
    data = dumped_bytes(out)
    assert data[8:16] == b"QEMU    " and data[16:29] == b"QEMU HARDDISK", vm.report()
    assert status == SUCCESS, vm.report()


def test_numbers_over_64_bits_are_refused(make_vm, disk_image):
    img = disk_image("d0", 4 << 20, seed=1)
    vm = make_vm("pc")
    over = ["tmf /dev/sda abort 18446744073709551616", "tmf /dev/sda abort 0x10000000000000000",
            "hexdump -n 18446744073709551616 /dev/sda", "poweroff 99999999999999999999"]
    edge = "tmf /dev/sda abort 18446744073709551615"
    status, got = steps_of(vm, over + [edge], one_disk(img))
    for c in over:
        s = step(got, c)
        assert s.status != 0 and "invalid number" in s.out, vm.report()
    s = step(got, edge)
    assert s.status == 0 and "invalid number" not in s.out, vm.report()
    assert status == FAILURE, vm.report()


def test_bench_bad_queue_depth_is_refused_first(make_vm, disk_image):
    img = disk_image("d0", 4 << 20, seed=1)
    vm = make_vm("pc")
    cmds = ["bench /dev/sda -q 0", "bench /dev/sda -t 1 -q 1,0", "bench /dev/sda -q 4,x"]
    status, got = steps_of(vm, cmds, one_disk(img))
    for c in cmds:
        s = step(got, c)
        assert s.status == 2, vm.report()
        assert re.search(r"queue depth", s.out), vm.report()
        assert "4 KiB random reads" not in s.out and "bench qd=" not in s.out, vm.report()
    assert status == FAILURE, vm.report()


@pytest.mark.parametrize("boot", boot_params([BOOTS[0], BOOTS[2]]))
def test_cpu_exception_exits_37(vm, boot):
    status, text = vm.run_script("echo before; crash; echo after")
    assert status == PANIC, vm.report()
    assert line("before").search(text), vm.report()
    assert re.search(r"CPU exception 6 \(invalid opcode\)", text), vm.report()
    assert not line("after").search(text), vm.report()


def test_crash_is_documented(make_vm):
    vm = make_vm("pc")
    status, text = vm.run_script("help crash")
    assert re.search(r"^usage: crash\s*\n\s+test aid: ", text, re.M), vm.report()
    assert status == SUCCESS, vm.report()


# --- driver options under QEMU ---------------------------------------------------------

def test_noscan_leaves_the_bus_unscanned_until_rescan(make_vm, disk_image, md5):
    img = disk_image("d0", 4 << 20, seed=4)
    vm = make_vm("pc")
    cmds = ["lsscsi", "md5sum /dev/sda", "rescan", "lsscsi", "md5sum /dev/sda"]
    status, text = vm.run_script("vscsi.noscan=1 " + "; ".join(cmds), one_disk(img))
    got = split_steps(text)
    assert [s.cmd for s in got] == cmds, vm.report()
    assert "[0:0:0:0]" not in got[0].out, vm.report()
    assert got[1].status != 0 and "No such file or directory" in got[1].out, vm.report()
    assert re.search(r"^\[0:0:0:0\]\s+disk\s+QEMU\s+QEMU HARDDISK\s+\S+\s+/dev/sda",
                     got[3].out, re.M), vm.report()
    assert f"{md5(img)}  /dev/sda" in got[4].out, vm.report()


@pytest.mark.parametrize("veto", [None, "0x20000002"], ids=["no-veto", "veto-event-idx-hotplug"])
def test_veto_keeps_features_out_of_the_negotiated_set(make_vm, disk_image, veto):
    img = disk_image("d0", 4 << 20, seed=1)
    vm = interactive(make_vm, one_disk(img), cmdline=f"vscsi.veto={veto}" if veto else None)
    st = vm.qmp.cmd("x-query-virtio-status", path="/machine/peripheral/scsi0/virtio-backend")
    offered = st["host-features"]["transports"] + st["host-features"]["dev-features"]
    taken = st["guest-features"]["transports"] + st["guest-features"]["dev-features"]
    for name in ("VIRTIO_RING_F_EVENT_IDX", "VIRTIO_SCSI_F_HOTPLUG"):
        assert any(f.startswith(name) for f in offered), st
        assert any(f.startswith(name) for f in taken) == (veto is None), \
            f"{name} with veto {veto}: {taken}\n" + vm.report()
    assert any(f.startswith("VIRTIO_F_VERSION_1") for f in taken), st
    # ... and the disk still works.
    assert re.search(r"^[0-9a-f]{32}  /dev/sda$", vm.command("md5sum /dev/sda"), re.M), vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()
