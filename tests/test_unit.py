"""Runs each host unit test binary (build/unit/test_*, built by `make`) as
one pytest test, so the pytest summary counts the unit tests too."""
import glob
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("VSCSI_BUILD") or os.path.join(REPO, "build"))
UNIT_DIR = os.path.join(BUILD, "unit")
SOURCES = sorted(glob.glob(os.path.join(REPO, "tests", "unit", "test_*.c")))
# One test per source, so a source whose binary did not get built fails
# here instead of silently disappearing from the run.
NAMES = [os.path.splitext(os.path.basename(s))[0] for s in SOURCES]
TIMEOUT = 300


@pytest.mark.parametrize("name", NAMES)
def test_unit(name):
    binary = os.path.join(UNIT_DIR, name)
    assert os.access(binary, os.X_OK), f"{binary} is missing: run `make unit`"
    try:
        r = subprocess.run([binary], cwd=REPO, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        pytest.fail(f"{name} did not finish in {TIMEOUT} s; output so far:\n{out}", pytrace=False)
    out = r.stdout.decode(errors="replace")
    if r.returncode != 0:
        pytest.fail(f"{name} exited with {r.returncode}; output:\n{out}", pytrace=False)
