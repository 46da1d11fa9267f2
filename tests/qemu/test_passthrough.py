"""Issue #5: real SCSI pass-through and persistent reservations.

Debian's user-space tgtd serves one file-backed LUN on 127.0.0.1
(tools/tgt.sh, a private control socket); QEMU logs in twice with two
initiator names and attaches the two I_T nexuses as a scsi-block (sda) and
a scsi-generic (sdb).  From the guest, sg_persist
registers a key on each path, reserves on one, and the other path's write
gets RESERVATION CONFLICT (status 0x18) from the target while its reads
pass, and `dd` through the block layer says "Reservation conflict" (the
driver's EBADE, as Linux returns for it); after the release it writes.
With the default filtered policy the PERSISTENT RESERVE OUT is refused
before it reaches the target (the target's key list stays empty), `allow
0x5f` admits it, `unfiltered` admits everything.

tgtd and QEMU's iscsi driver are Debian packages `make` installs
(tools/deps.sh: tgt, qemu-block-extra): when one is missing, or tgtd cannot
start, the test fails and says so; it is never skipped.
"""
import os
import random
import re
import shutil
import socket
import subprocess

import pytest

import disks
from test_blk import controller, steps
from test_sg_io import sg_raw_data

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TGT_SH = os.path.join(REPO, "tools", "tgt.sh")
IQN = "iqn.2024-01.org.vscsi.test:pr"
SECTOR = 512


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_has_iscsi():
    r = subprocess.run(["qemu-img", "--help"], stdout=subprocess.PIPE, text=True)
    return re.search(r"\biscsi\b", r.stdout) is not None


@pytest.fixture
def target(tmp_path):
    """A running tgtd exporting a fresh image; yields (port, image path)."""
    if not qemu_has_iscsi():
        pytest.fail("QEMU has no iscsi block driver: `make` installs it (tools/deps.sh: "
                    "apt-get install qemu-block-extra)", pytrace=False)
    if shutil.which("tgtadm") is None or not os.path.exists("/usr/sbin/tgtd"):
        pytest.fail("tgtd is not installed: `make` installs it (tools/deps.sh: "
                    "apt-get install tgt)", pytrace=False)
    image = disks.make_raw(tmp_path / "lun1.img", 16 << 20, seed="pr-lun")
    state = str(tmp_path / "tgt")
    port = free_port()
    ctl = random.Random(os.getpid()).randrange(1000, 32000)   # tgtd takes 1..32767
    r = subprocess.run([TGT_SH, "start", state, str(port), str(ctl), IQN, image],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if r.returncode != 0:
        pytest.fail(f"tgtd could not start (tools/tgt.sh status {r.returncode}): "
                    f"{r.stderr.strip()[-500:]}", pytrace=False)
    assert r.stdout.strip() == f"iscsi://127.0.0.1:{port}/{IQN}/1"
    try:
        yield port, image
    finally:
        subprocess.run([TGT_SH, "stop", state], timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def iscsi_path(node, port, initiator, target_id, device):
    """One login (I_T nexus) to the target, attached as scsi-block or
    scsi-generic at `target_id` on scsi0."""
    return ["-blockdev",
            f"driver=iscsi,transport=tcp,portal=127.0.0.1:{port},target={IQN},lun=1,"
            f"node-name={node},initiator-name=iqn.2024-01.org.vscsi.test:{initiator},"
            f"cache.direct=on",
            "-device", f"{device},bus=scsi0.0,scsi-id={target_id},lun=0,drive={node}"
                       + (",share-rw=on" if device == "scsi-generic" else "")]


def test_persistent_reservations_two_paths(make_vm, target):
    port, image = target
    devices = (controller("scsi0")
               + iscsi_path("pa", port, "path-a", 0, "scsi-block")
               + iscsi_path("pb", port, "path-b", 1, "scsi-generic"))
    write_b = "sg_raw -s 512 -i beef /dev/sdb 2a 00 00 00 00 11 00 00 01 00"
    plan = [
        # (command, expected status or None for "either 0 or a unit attention")
        ("lsscsi", 0),
        ("sg_inq /dev/sda", 0),
        ("sg_inq /dev/sdb", 0),
        # Filtered (the default): PR OUT never reaches the target.
        ("sg_persist -n -o -G -S 0x1111 /dev/sda", 51),
        ("sg_persist -n -k /dev/sda", 0),
        ("sg_policy /dev/sda allow 0x5f", 0),
        ("sg_persist -n -o -G -S 0x1111 /dev/sda", 0),
        ("sg_persist -n -o -G -S 0x2222 /dev/sdb", 51),
        ("sg_policy /dev/sdb unfiltered", 0),
        ("sg_persist -n -o -G -S 0x2222 /dev/sdb", 0),
        ("sg_persist -k /dev/sda", 0),
        ("sg_persist -n -o -R -K 0x1111 -T 1 /dev/sda", 0),
        ("sg_persist -n -r /dev/sdb", 0),
        # The other path may read but not write.
        ("sg_raw -s 512 /dev/sdb 2a 00 00 00 00 10 00 00 01 00", 24),
        ("dd if=/dev/zero of=/dev/sdb bs=512 count=1 seek=16", 1),
        ("sg_raw -r 512 /dev/sdb 28 00 00 00 00 10 00 00 01 00", 0),
        ("sg_raw -s 512 -i cafe /dev/sda 2a 00 00 00 00 10 00 00 01 00", 0),
        ("dd if=/dev/sda of=/dev/sda bs=512 count=1 skip=100 seek=18", 0),
        ("sg_persist -n -o -L -K 0x1111 -T 1 /dev/sda", 0),
        # The release raises a unit attention (RESERVATIONS RELEASED); tgt
        # 1.0.85 gives it to the releasing nexus: take it on either path.
        ("sg_raw /dev/sda 00 00 00 00 00 00", None),
        ("sg_raw /dev/sdb 00 00 00 00 00 00", None),
        (write_b, 0),
        ("sg_persist -n -o -G -K 0x1111 -S 0 /dev/sda", 0),
        ("sg_persist -n -o -C -K 0x2222 /dev/sdb", 0),
        ("sg_raw /dev/sda 00 00 00 00 00 00", None),
        ("sg_persist -n -k /dev/sda", 0),
    ]
    vm = make_vm("pc", timeout=180)
    status, r = steps(vm, [p[0] for p in plan], devices, timeout=180)
    for (cmd, want), got in zip(plan, r):
        if want is None:
            assert got.status in (0, 6), f"{cmd}: status {got.status}\n{got.out}"
        else:
            assert got.status == want, f"{cmd}: status {got.status}, want {want}\n{got.out}"
    assert re.search(r"^\[0:0:0:0\]\s+disk\s+IET\s+VIRTUAL-DISK\s.*/dev/sda", r[0].out, re.M), r[0].out
    assert re.search(r"^\[0:0:1:0\]\s+disk\s+IET\s+VIRTUAL-DISK\s.*/dev/sdb", r[0].out, re.M), r[0].out
    assert "Vendor identification: IET" in r[1].out and "VIRTUAL-DISK" in r[2].out
    # refused in the guest, with the opcode named, and the target saw nothing
    assert "opcode 0x5f (PERSISTENT RESERVE OUT) refused by the command filter" in r[3].out
    assert "SG_IO refused opcode 0x5f" in r[3].out
    assert "PR generation=0x0, there are NO registered reservation keys" in r[4].out, r[4].out
    assert "opcode 0x5f" in r[7].out
    keys = r[10].out
    assert "  IET       VIRTUAL-DISK      0001" in keys and "Peripheral device type: disk" in keys
    assert "PR generation=0x2, 2 registered reservation keys follow:" in keys, keys
    assert "    0x1111\n    0x2222" in keys, keys
    resv = r[12].out
    assert "Reservation follows:" in resv and "Key=0x1111" in resv, resv
    assert "scope: LU_SCOPE,  type: Write Exclusive" in resv, resv
    conflict = r[13].out
    assert "SCSI Status: Reservation Conflict" in conflict, conflict
    # The block layer's WRITE met the same conflict: its own error, not EIO.
    assert "dd: error writing '/dev/sdb': Reservation conflict" in r[14].out, r[14].out
    assert re.search(r"sdb: write of 1 block at LBA 16 failed: EBADE: reservation conflict",
                     r[14].out), r[14].out
    assert "SCSI Status: Good" in r[15].out and "Received 512 bytes of data:" in r[15].out
    assert r[19].status == 0 or "Additional sense: Reservations released" in r[19].out
    assert r[20].status == 0 or "Additional sense: Reservations released" in r[20].out
    assert "SCSI Status: Good" in r[21].out, r[21].out
    assert "there are NO registered reservation keys" in r[-1].out, r[-1].out

    # After the power-off, the target's file holds exactly the writes that
    # were admitted: sector 16 from path A, 17 from path B after the
    # release, 18 a copy of sector 100; nothing from the conflicting writes.
    with open(image, "rb") as f:
        img = f.read()
    base = b"".join(disks.random_bytes(1 << 20, f"pr-lun:{off}")
                    for off in range(0, 16 << 20, 1 << 20))
    assert sg_raw_data(r[15].out) == base[16 * SECTOR:17 * SECTOR]
    want = bytearray(base)
    want[16 * SECTOR:17 * SECTOR] = bytes.fromhex("cafe") + bytes(SECTOR - 2)
    want[17 * SECTOR:18 * SECTOR] = bytes.fromhex("beef") + bytes(SECTOR - 2)
    want[18 * SECTOR:19 * SECTOR] = base[100 * SECTOR:101 * SECTOR]
    assert img == bytes(want), vm.report()
