"""Issue #9: every LUN has a generic SCSI node, /dev/sg0, /dev/sg1 ... in
scan order, as Linux's sg driver gives them, listed by `lsscsi -g`.

The layout mixes what QEMU emulates (a disk and an empty CD-ROM drive,
with vendor and product strings given on QEMU's command line) with real
pass-through to Debian's user-space tgtd (tools/tgt.sh): tgt's LUN 0 is its
controller LUN, peripheral device type 0Ch (storage array controller),
which no block driver claims, attached with scsi-generic; its LUN 1, a
disk, with scsi-block.  The oracle for the INQUIRY data of the tgt LUNs is
libiscsi's iscsi-inq run on the host against the same target, not the
guest.  The SG_IO command filter is per device: set through one node it
holds on the other node of the same LUN, and a refused command never
reaches the target (its registration list stays empty).
"""
import os
import random
import re
import shutil
import socket
import subprocess

import pytest

import disks
import qemurun
from test_blk import steps

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TGT_SH = os.path.join(REPO, "tools", "tgt.sh")
IQN = "iqn.2024-01.org.vscsi.test:sg"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def target(tmp_path):
    """A running tgtd exporting a fresh image as LUN 1; yields its port.
    `make` installs tgt, libiscsi-bin and QEMU's iscsi driver
    (tools/deps.sh): their absence fails the test instead of skipping it."""
    missing = [p for p in ("/usr/sbin/tgtd", shutil.which("tgtadm") or "tgtadm",
                           shutil.which("iscsi-inq") or "iscsi-inq") if not os.path.exists(p)]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: `make` installs them (tools/deps.sh)",
                    pytrace=False)
    image = disks.make_raw(tmp_path / "lun1.img", 8 << 20, seed="sg-lun")
    state = str(tmp_path / "tgt")
    port = free_port()
    ctl = random.Random(os.getpid() + 9).randrange(1000, 32000)
    r = subprocess.run([TGT_SH, "start", state, str(port), str(ctl), IQN, image],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if r.returncode != 0:
        pytest.fail(f"tgtd could not start (tools/tgt.sh status {r.returncode}): "
                    f"{r.stderr.strip()[-500:]}", pytrace=False)
    try:
        yield port
    finally:
        subprocess.run([TGT_SH, "stop", state], timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def host_inquiry(port, lun):
    """(peripheral device type, vendor, product, revision) of a tgt LUN, as
    libiscsi's iscsi-inq reads them on the host."""
    r = subprocess.run(["iscsi-inq", f"iscsi://127.0.0.1:{port}/{IQN}/{lun}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    assert r.returncode == 0, r.stdout
    fields = dict(re.findall(r"^([A-Za-z ]+):(.*)$", r.stdout, re.M))
    pdt = {"DIRECT_ACCESS": 0, "STORAGE_ARRAY_CONTROLLER": 0x0c}[fields["Peripheral Device Type"]]
    return pdt, fields["Vendor"].strip(), fields["Product"].strip(), fields["Revision"].strip()


def iscsi_lun(node, port, lun, initiator, target_id, device):
    return ["-blockdev",
            f"driver=iscsi,transport=tcp,portal=127.0.0.1:{port},target={IQN},lun={lun},"
            f"node-name={node},initiator-name=iqn.2024-01.org.vscsi.test:{initiator},"
            f"cache.direct=on",
            "-device", f"{device},bus=scsi0.0,scsi-id={target_id},lun=0,drive={node}"]


PDT_TEXT = {0: "disk", 5: "cd/dvd", 0x0c: "storage array controller"}


def page_bytes(out):
    """The bytes of a VPD page as `sg_inq -p` dumps them, cut at the page's
    own length (bytes 2-3)."""
    data = bytearray()
    for m in re.finditer(r"^ [0-9a-f]{2,}     ((?:[0-9a-f]{2} {1,2}){1,16})", out, re.M):
        data += bytes.fromhex(m.group(1).replace(" ", ""))
    return bytes(data[:4 + int.from_bytes(data[2:4], "big")])


def udev_names(vendor, model, page00, page80, page83):
    """(ID_SERIAL, ID_WWN_WITH_EXTENSION) as systemd's scsi_id makes them,
    written here from its rules, from the raw pages the target sent."""
    def squeeze(text):
        return "_".join(text.split())
    pages = set(page00[4:4 + page00[3]])
    found = None
    if 0x83 in pages:
        descs, off = [], 4
        while off + 4 <= len(page83):
            n = page83[off + 3]
            descs.append((page83[off] & 15, page83[off + 1] & 15, (page83[off + 1] >> 4) & 3,
                          page83[off + 4:off + 4 + n]))
            off += 4 + n
        order = [(3, 6, 1), (3, 6, 2), (3, 5, 1), (3, 5, 2), (3, None, 1), (3, None, 2),
                 (2, None, 1), (2, None, 2), (1, None, 1), (1, None, 2), (0, None, 1), (0, None, 2)]
        for dtype, naa, code in order:
            for cs, t, assoc, ident in descs:
                if assoc == 0 and t == dtype and cs == code and \
                        (naa is None or (ident and ident[0] >> 4 == naa)):
                    found = (t, cs, ident)
                    break
            if found:
                break
    if found:
        t, cs, ident = found
        text = ident.hex() if cs == 1 else ident.decode("latin-1")
        prefix = str(t) + (vendor.ljust(8) + model.ljust(16) if t == 0 else "")
        wwn = "0x" + text[:32] if t == 3 else ""
        return squeeze(prefix + text), wwn
    if 0x80 in pages:
        return squeeze("S" + vendor.ljust(8) + model.ljust(16)
                       + page80[4:].decode("latin-1")), ""
    return "", ""


def test_generic_nodes_for_every_lun(make_vm, disk_image, md5, target):
    port = target
    image = disk_image("d0", 2 << 20, seed=90)
    devices = (qemurun.controller("scsi0")
               + qemurun.blockdev_file("d0", image)
               + ["-device", "scsi-hd,bus=scsi0.0,scsi-id=0,lun=0,drive=d0,"
                             "vendor=VSCSIVND,product=SG NODE DISK"]
               + ["-device", "scsi-cd,bus=scsi0.0,scsi-id=1,lun=0,"
                             "vendor=VSCSICD,product=SG NODE CDROM"]
               + iscsi_lun("ctl", port, 0, "ctl", 2, "scsi-generic")
               + iscsi_lun("dsk", port, 1, "dsk", 3, "scsi-block"))
    # What each LUN must answer, from what the host gave QEMU or asks tgt.
    expected = {
        0: (0, "VSCSIVND", "SG NODE DISK", None),
        1: (5, "VSCSICD", "SG NODE CDROM", None),
        2: host_inquiry(port, 0),
        3: host_inquiry(port, 1),
    }
    assert expected[2][0] == 0x0c, expected   # tgt's controller LUN
    plan = [
        "lsscsi -g",
        "lsscsi",
        "sg_inq /dev/sg0", "sg_inq /dev/sg1", "sg_inq /dev/sg2", "sg_inq /dev/sg3",
        "sg_readcap /dev/sg3",
        "sg_inq -p 0x80 /dev/sg2",
        # A read-type command in the default filtered policy, on the node
        # that has no block device.
        "sg_raw -r 36 /dev/sg2 12 00 00 00 24 00",
        # PERSISTENT RESERVE OUT is refused by the filter: the target never
        # sees it.
        "sg_persist -n -o -G -S 0x1111 /dev/sg3",
        "sg_persist -n -k /dev/sg3",
        # Admitted through the block node: the same device, the same filter.
        "sg_policy /dev/sdb allow 0x5f",
        "sg_persist -n -o -G -S 0x1111 /dev/sg3",
        "sg_persist -n -k /dev/sdb",
        # And the other way: denied through the generic node, refused on sda.
        "sg_policy /dev/sg0 deny 0x12",
        "sg_inq /dev/sda",
        "sg_policy /dev/sda clear",
        "sg_inq /dev/sda",
        # sg's read/write interface (sg v3) is not offered.
        "dd if=/dev/sg2 of=/dev/null count=1",
        "md5sum /dev/sda",
        # The by-id names of the tgt disk, against udev's rules applied
        # here to the raw pages tgt sends.
        "sg_inq -p 0 /dev/sg3", "sg_inq -p 0x80 /dev/sg3", "sg_inq -p 0x83 /dev/sg3",
        "by-id",
    ]
    vm = make_vm("pc", timeout=180)
    status, r = steps(vm, plan, devices, timeout=180)
    res = dict((s.cmd, s) for s in r)

    rows = re.findall(r"^\[0:0:(\d):0\]\s+(\S+(?: \S+)?)\s.*?(/dev/\w+|-)\s+(/dev/sg\d+)\s*$",
                      res["lsscsi -g"].out, re.M)
    assert [(int(t), node, sg) for t, _, node, sg in rows] == [
        (0, "/dev/sda", "/dev/sg0"), (1, "/dev/sr0", "/dev/sg1"),
        (2, "-", "/dev/sg2"), (3, "/dev/sdb", "/dev/sg3")], res["lsscsi -g"].out
    assert re.search(r"^\[0:0:2:0\]\s+storage\s+IET\s+Controller\s+0001\s+-\s+/dev/sg2\s*$",
                     res["lsscsi -g"].out, re.M), res["lsscsi -g"].out
    # Without -g the generic node is not shown (lsscsi's default columns).
    assert "/dev/sg" not in res["lsscsi"].out, res["lsscsi"].out

    for n in range(4):
        out = res[f"sg_inq /dev/sg{n}"].out
        pdt, vendor, product, rev = expected[n]
        assert f"Peripheral device type: {PDT_TEXT[pdt]}" in out, out
        assert re.search(rf"^ Vendor identification: {re.escape(vendor)}\s*$", out, re.M), out
        assert re.search(rf"^ Product identification: {re.escape(product)}\s*$", out, re.M), out
        if rev:
            assert re.search(rf"^ Product revision level: {re.escape(rev)}\s*$", out, re.M), out
        assert res[f"sg_inq /dev/sg{n}"].status == 0, out
    assert "Number of logical blocks=16384" in res["sg_readcap /dev/sg3"].out
    raw = res["sg_raw -r 36 /dev/sg2 12 00 00 00 24 00"]
    assert raw.status == 0 and "Received 36 bytes of data:" in raw.out, raw.out
    assert re.search(r"^ 00     0c 00 ", raw.out, re.M) and "Controller" in raw.out, raw.out

    registers = [s for s in r if s.cmd == "sg_persist -n -o -G -S 0x1111 /dev/sg3"]
    assert "SG_IO refused opcode 0x5f" in registers[0].out, registers[0].out
    assert registers[0].status != 0 and registers[1].status == 0, registers
    keys = [s for s in r if s.cmd.startswith("sg_persist -n -k")]
    assert "there are NO registered reservation keys" in keys[0].out, keys[0].out
    assert "1 registered reservation key follows:" in keys[1].out and "0x1111" in keys[1].out, \
        keys[1].out
    denied = [s for s in r if s.cmd == "sg_inq /dev/sda"]
    assert denied[0].status != 0 and "SG_IO refused opcode 0x12" in denied[0].out, denied[0].out
    assert denied[1].status == 0 and "VSCSIVND" in denied[1].out, denied[1].out

    dd = res["dd if=/dev/sg2 of=/dev/null count=1"]
    assert dd.status != 0 and "Invalid argument" in dd.out, dd.out
    assert "/dev/sg2: read and write (sg's v3 interface) are not supported; use ioctl SG_IO" \
        in dd.out, dd.out
    assert f"{md5(image)}  /dev/sda" in res["md5sum /dev/sda"].out

    _, vendor, product, _ = expected[3]
    serial, wwn = udev_names(vendor, product, page_bytes(res["sg_inq -p 0 /dev/sg3"].out),
                             page_bytes(res["sg_inq -p 0x80 /dev/sg3"].out),
                             page_bytes(res["sg_inq -p 0x83 /dev/sg3"].out))
    assert serial, res["sg_inq -p 0x83 /dev/sg3"].out
    byid = res["by-id"].out
    assert f"scsi-{serial} -> sdb" in byid, (serial, byid)
    if wwn:
        assert f"wwn-{wwn} -> sdb" in byid, (wwn, byid)
    assert status == qemurun.EXIT_FAILURE, vm.report()   # the refused commands
