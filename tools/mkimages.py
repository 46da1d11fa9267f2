#!/usr/bin/env python3
"""mkimages.py - build the demo disks for `make run` in build/demo/, once.

  disk.raw    64 MiB raw; every 512-byte sector starts with the text
              "vscsi sector N" (N in decimal), the rest of the sector is
              blanks up to a final newline, so `hexdump -C` or `dd | less`
              shows which sector a guest read.
  disk.qcow2  64 MiB qcow2; the first 8 MiB are labelled "vscsi qcow2 sector N"
              the same way, the rest is unallocated (reads as zeroes).
  demo.iso    ISO 9660 (xorriso), volume id VSCSI_DEMO, holding README.TXT.
  MANIFEST    sizes and MD5 sums, for checking what a guest reads.

Idempotent: does nothing when a stamp with the same recipe version exists.
Also a library: labelled_sectors() and write_labelled() are reused by the tests.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(REPO, "build", "demo")
RECIPE = "vscsi-demo-images v2"   # change it to force a rebuild
RAW_SIZE = 64 << 20
QCOW2_SIZE = 64 << 20
QCOW2_LABELLED = 8 << 20
SECTOR = 512
README_TEXT = ("vscsi demo CD-ROM\n"
               "This file lives on an ISO 9660 image made by tools/mkimages.py.\n"
               "Read it from the guest to check the CD-ROM path end to end.\n")


def labelled_sectors(first, count, label="vscsi sector"):
    """`count` sectors, each "<label> <n>" padded with blanks and ending in '\\n'."""
    out = bytearray()
    for n in range(first, first + count):
        head = f"{label} {n}".encode()
        out += head + b" " * (SECTOR - 1 - len(head)) + b"\n"
    return bytes(out)


def write_labelled(path, size, label="vscsi sector", labelled=None):
    """Write a raw image of `size` bytes whose first `labelled` bytes (all by
    default) carry sector labels; the rest is a sparse hole."""
    labelled = size if labelled is None else labelled
    chunk = 2048  # sectors per write: 1 MiB
    with open(path, "wb") as f:
        n = 0
        while n * SECTOR < labelled:
            count = min(chunk, (labelled - n * SECTOR) // SECTOR)
            f.write(labelled_sectors(n, count, label))
            n += count
        f.truncate(size)


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}")


def build(demo=DEMO, force=False, quiet=False):
    """Make the demo images in `demo`; returns a dict name -> path."""
    paths = {"raw": os.path.join(demo, "disk.raw"),
             "qcow2": os.path.join(demo, "disk.qcow2"),
             "iso": os.path.join(demo, "demo.iso")}
    stamp = os.path.join(demo, ".stamp")
    if not force and os.path.exists(stamp) and all(map(os.path.exists, paths.values())):
        with open(stamp) as f:
            if f.read().strip() == RECIPE:
                return paths
    for tool in ("qemu-img", "xorriso"):
        if not shutil.which(tool):
            raise RuntimeError(f"{tool} is missing: run `make deps` (as root)")
    os.makedirs(demo, exist_ok=True)
    if os.path.exists(stamp):
        os.unlink(stamp)
    if not quiet:
        print(f"mkimages: building demo images in {demo}", file=sys.stderr)

    # Each file is written under a temporary name and renamed, so an
    # interrupted run never leaves a half-written image that looks done.
    tmp = paths["raw"] + ".tmp"
    write_labelled(tmp, RAW_SIZE)
    os.replace(tmp, paths["raw"])

    with tempfile.TemporaryDirectory(dir=demo) as work:
        src = os.path.join(work, "qcow2-src.raw")
        write_labelled(src, QCOW2_SIZE, "vscsi qcow2 sector", QCOW2_LABELLED)
        tmp = paths["qcow2"] + ".tmp"
        qcow2_md5 = md5_file(src)  # what a guest reads from the whole disk
        run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", src, tmp])
        os.replace(tmp, paths["qcow2"])

        iso_dir = os.path.join(work, "iso")
        os.makedirs(iso_dir)
        with open(os.path.join(iso_dir, "README.TXT"), "w") as f:
            f.write(README_TEXT)
        tmp = paths["iso"] + ".tmp"
        run(["xorriso", "-as", "mkisofs", "-quiet", "-o", tmp, "-V", "VSCSI_DEMO", iso_dir])
        os.replace(tmp, paths["iso"])

    with open(os.path.join(demo, "MANIFEST"), "w") as f:
        f.write("# name      size (guest-visible)  md5 of the guest-visible data\n")
        f.write(f"disk.raw   {RAW_SIZE}  {md5_file(paths['raw'])}\n")
        f.write(f"disk.qcow2 {QCOW2_SIZE}  {qcow2_md5}  (labelled: first {QCOW2_LABELLED} bytes)\n")
        f.write(f"demo.iso   {os.path.getsize(paths['iso'])}  {md5_file(paths['iso'])}\n")
    with open(stamp, "w") as f:
        f.write(RECIPE + "\n")
    return paths


def main(argv):
    force = "--force" in argv
    for name, path in build(force=force).items():
        print(f"{name:6} {os.path.relpath(path, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
