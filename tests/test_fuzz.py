"""A short run of every libFuzzer target (tests/fuzz/) in `make check`: the
device-written data parsers and the virtqueues against a device that writes
garbage into the used ring must never crash, leak or misuse memory.  Longer
campaigns: `make fuzz FUZZ_SECONDS=600`."""
import glob
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("VSCSI_BUILD") or os.path.join(REPO, "build"))
SOURCES = sorted(glob.glob(os.path.join(REPO, "tests", "fuzz", "fuzz_*.c")))
SECONDS = int(os.environ.get("VSCSI_FUZZ_SECONDS", "8"))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: os.path.basename(p)[:-2])
def test_fuzzer_finds_nothing(source, tmp_path):
    binary = os.path.join(BUILD, "fuzz", os.path.basename(source)[:-2])
    assert os.path.exists(binary), f"{binary} is missing: run `make fuzzers`"
    r = subprocess.run([binary, f"-max_total_time={SECONDS}", "-seed=1", str(tmp_path)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=SECONDS + 120)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, out[-4000:]
    assert "Done " in out, out[-2000:]
