"""Runs the host unit tests (build/unit/test_*, built by `make`) under pytest.

Each test case runs in a process of its own (`binary --run NAME`, see
tests/unit/support/runner.h) with its own time limit, so a failing assertion, a
sanitizer abort or a hang costs only that case, is reported as that case, and
the other cases of the same binary still run.  The cases are listed at
collection time (`binary --list`); a binary that is missing, or a source that
does not use the runner, is one pytest test that runs (or fails) whole."""
import glob
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("VSCSI_BUILD") or os.path.join(REPO, "build"))
UNIT_DIR = os.path.join(BUILD, "unit")
SOURCES = sorted(glob.glob(os.path.join(REPO, "tests", "unit", "test_*.c")))
# One case's limit (the slowest walks the whole timeout ladder in a few seconds).
CASE_TIMEOUT = 120
# A binary run whole (it does not list its cases).
BINARY_TIMEOUT = 300


def _cases():
    """(binary name, case name or None) for every test case of every source;
    None runs the binary whole (or reports it missing)."""
    out = []
    for src in SOURCES:
        name = os.path.splitext(os.path.basename(src))[0]
        binary = os.path.join(UNIT_DIR, name)
        with open(src, encoding="utf-8", errors="replace") as f:
            listable = "vs_run_tests(" in f.read()
        if not listable or not os.access(binary, os.X_OK):
            out.append((name, None))
            continue
        try:
            r = subprocess.run([binary, "--list"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=30)
            names = r.stdout.decode(errors="replace").split() if r.returncode == 0 else []
        except subprocess.TimeoutExpired:
            names = []
        out.extend((name, case) for case in names) if names else out.append((name, None))
    return out


CASES = _cases()


@pytest.mark.parametrize("name,case", CASES,
                         ids=[f"{n}::{c}" if c else n for n, c in CASES])
def test_unit(name, case):
    binary = os.path.join(UNIT_DIR, name)
    assert os.access(binary, os.X_OK), f"{binary} is missing: run `make unit`"
    argv = [binary] + (["--run", case] if case else [])
    limit = CASE_TIMEOUT if case else BINARY_TIMEOUT
    try:
        r = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=limit)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        pytest.fail(f"{' '.join(argv)} did not finish in {limit} s; output so far:\n{out}",
                    pytrace=False)
    out = r.stdout.decode(errors="replace")
    if r.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited with {r.returncode}; output:\n{out}", pytrace=False)
    if case and "[  PASSED  ] 1 test(s)." not in out:
        pytest.fail(f"{' '.join(argv)} did not run its case; output:\n{out}", pytrace=False)
