"""Shared by all tests: where the repository and the build live."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("VSCSI_BUILD") or os.path.join(REPO, "build"))


def pytest_report_header(config):
    kernel = os.path.join(BUILD, "vscsi.elf")
    state = "present" if os.path.exists(kernel) else "MISSING (run make)"
    return f"vscsi: kernel {kernel} {state}"
