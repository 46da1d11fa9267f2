"""Fixtures for the QEMU tests.

  boot          parametrises a test over the firmware/machine matrix
                (bios-pc, bios-q35, uefi-q35); UEFI params carry the `uefi` mark
  vm            a VM (not started) for the current `boot` parameter
  make_vm       factory: make_vm(machine="q35", uefi=False, name=...) -> VM
  disk_image    factory: disk_image(name, size, seed=..., fmt="raw"|"qcow2") -> path
  md5           disks.md5_file: md5(path, offset=0, length=None)

Every VM is killed in teardown.  When a test fails, each VM it used adds a
report section with its command line, serial output and QEMU stderr.
"""
import os

import pytest

import disks
import qemurun
from vm import VM, Boot, boot_params


@pytest.fixture(scope="session", autouse=True)
def kernel_built():
    """`make check` builds the kernel first; without it nothing here can run."""
    if not os.path.exists(qemurun.KERNEL):
        pytest.fail(f"{qemurun.KERNEL} is missing: run `make` (or `make check`) first",
                    pytrace=False)
    return qemurun.KERNEL


@pytest.fixture(params=boot_params())
def boot(request):
    return request.param


@pytest.fixture
def make_vm(request, tmp_path):
    vms = []
    request.node._vscsi_vms = vms

    def factory(machine="pc", uefi=False, name=None, **kw):
        if isinstance(machine, Boot):
            machine, uefi = machine.machine, machine.uefi
        if uefi and not os.path.exists(qemurun.EFI_APP):
            pytest.fail(f"{qemurun.EFI_APP} is missing: run `make` first", pytrace=False)
        name = name or f"vm{len(vms)}"
        vm = VM(tmp_path / name, machine=machine, uefi=uefi, name=name, **kw)
        vms.append(vm)
        return vm

    yield factory
    for vm in vms:
        vm.close()


@pytest.fixture
def vm(make_vm, boot):
    return make_vm(boot)


@pytest.fixture
def disk_image(tmp_path):
    """disk_image("d0", 16 << 20, seed=1) -> path of a raw image with random
    content; fmt="qcow2" gives a qcow2 with the same guest-visible data;
    seed=None gives zeroes, seed="labels" labelled sectors."""
    def factory(name, size=16 << 20, seed=None, fmt="raw"):
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "qcow2":
            return disks.make_qcow2(path, size, seed)
        return disks.make_raw(path, size, seed)
    return factory


@pytest.fixture
def md5():
    return disks.md5_file


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        shown = str(report.longrepr)
        for vm in getattr(item, "_vscsi_vms", []):
            # Skip VMs whose report() is already in the failure message.
            if vm.args is not None and f"--- {vm.name}: QEMU" not in shown:
                report.sections.append((f"QEMU {vm.name} ({report.when})", vm.report()))
