"""disks.py - disk images for the QEMU tests and the checks on their content.

The host is the oracle for data: a test makes an image with known content
(random bytes from a seed, or labelled sectors), lets the guest read or write
it, then compares MD5 sums computed here with what the guest printed.
"""
import hashlib
import os
import random
import subprocess
import tempfile

import mkimages

SECTOR = 512


def random_bytes(size, seed):
    """`size` pseudo-random bytes, the same for the same seed on any host."""
    return random.Random(seed).randbytes(size)


def make_raw(path, size, seed=None, content=None):
    """A raw image: `content` (padded with zeroes), random data from `seed`,
    labelled sectors if seed == "labels", or zeroes (sparse) otherwise."""
    path = str(path)
    if seed == "labels":
        mkimages.write_labelled(path, size)
        return path
    with open(path, "wb") as f:
        if content is not None:
            f.write(content[:size])
        elif seed is not None:
            for off in range(0, size, 1 << 20):   # 1 MiB at a time keeps memory flat
                f.write(random_bytes(min(1 << 20, size - off), f"{seed}:{off}"))
        f.truncate(size)
    return path


def make_qcow2(path, size, seed=None, raw_source=None):
    """A qcow2 image with the same guest-visible content make_raw would give."""
    path = str(path)
    src = raw_source or path + ".src.raw"
    if raw_source is None:
        make_raw(src, size, seed)
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", src, path],
                   check=True)
    return path


def md5_file(path, offset=0, length=None):
    """MD5 of `length` bytes at `offset` of a raw image (the rest of it by default)."""
    h = hashlib.md5()
    with open(str(path), "rb") as f:
        f.seek(offset)
        left = length
        while left is None or left > 0:
            block = f.read(1 << 20 if left is None else min(1 << 20, left))
            if not block:
                break
            h.update(block)
            if left is not None:
                left -= len(block)
    return h.hexdigest()


def md5_sectors(path, lba, count, sector=SECTOR):
    return md5_file(path, lba * sector, count * sector)


def md5_guest_view(path):
    """MD5 of what a guest sees on an image of any format (qcow2 included)."""
    path = str(path)
    if not path.endswith(".qcow2"):
        return md5_file(path)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "flat.raw")
        subprocess.run(["qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", path, raw],
                       check=True)
        return md5_file(raw)


def read_sectors(path, lba, count, sector=SECTOR):
    with open(str(path), "rb") as f:
        f.seek(lba * sector)
        return f.read(count * sector)
