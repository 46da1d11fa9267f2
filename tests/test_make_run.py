"""Issue #2: `make run` (tools/run.py) boots the demo configuration to the
interactive shell, under BIOS and UEFI; `lspci` shows the controller and the
demo disks and CD-ROM are there.  The console is driven through a pipe, as
a user's terminal would type."""
import os
import signal
import subprocess
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_session(args, lines, timeout):
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(REPO, "tools", "run.py"), *args],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    out = bytearray()
    def pump():
        while True:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                return
            out.extend(chunk)
    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        for sent, line in enumerate(lines):
            # Type the next line only at the next prompt: the UART has no
            # room for type-ahead.
            while bytes(out).count(b"vscsi> ") <= sent and time.monotonic() < deadline:
                time.sleep(0.05)
            if time.monotonic() >= deadline:
                break
            proc.stdin.write(line.encode() + b"\r")
            proc.stdin.flush()
        status = proc.wait(max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        status = None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)   # run.py and its QEMU
            proc.wait()
        reader.join(5)
    text = out.decode(errors="replace").replace("\r", "")
    return status, text


@pytest.mark.parametrize("uefi", [pytest.param(False, id="bios"),
                                  pytest.param(True, id="uefi", marks=pytest.mark.uefi)])
def test_make_run_reaches_the_shell(uefi):
    status, text = run_session(["--uefi"] if uefi else [], ["lspci", "lsscsi", "poweroff"],
                               timeout=120 if uefi else 60)
    assert "vscsi> " in text, text[-3000:]
    assert "1af4:1004 (rev 00) SCSI storage controller" in text, text[-3000:]
    for node in ("/dev/sda", "/dev/sdb", "/dev/sr0"):
        assert node in text, text[-3000:]
    assert status == 0, text[-3000:]   # run.py maps the guest's poweroff (33) to 0
