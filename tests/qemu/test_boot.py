"""Issue #2: the test kernel boots on every firmware/machine, runs scripts from
its command line, reports failures through QEMU's exit status, and offers an
interactive shell on the serial console."""
import re

import pytest

import qemurun
from vm import BOOTS, boot_params

BANNER = "vscsi test kernel"
SUCCESS, FAILURE = qemurun.EXIT_SUCCESS, qemurun.EXIT_FAILURE


# Script semantics do not depend on the firmware: BIOS only, saving OVMF boots.
bios_only = pytest.mark.parametrize("boot", boot_params([b for b in BOOTS if not b.uefi]))


def line(text):
    """A regex matching `text` as a whole output line."""
    return re.compile(rf"^{re.escape(text)}$", re.M)


def test_script_echo(vm):
    status, text = vm.run_script("echo hello")
    assert BANNER in text, vm.report()
    assert line("hello").search(text), vm.report()
    assert status == SUCCESS, vm.report()


@bios_only
def test_script_runs_every_command_in_order(vm):
    status, text = vm.run_script("echo one; echo two;echo three")
    assert re.search(r"^one$.*^two$.*^three$", text, re.M | re.S), vm.report()
    assert status == SUCCESS, vm.report()


def test_unknown_command_fails_the_script(vm):
    status, text = vm.run_script("frobnicate")
    assert "frobnicate: command not found" in text, vm.report()
    assert status == FAILURE, vm.report()


@bios_only
def test_failed_command_does_not_stop_the_script(vm):
    status, text = vm.run_script("frobnicate; echo after")
    assert line("after").search(text), vm.report()
    assert status == FAILURE, vm.report()


def test_malformed_command_line(vm):
    status, text = vm.run_script('echo "unterminated')
    assert "unterminated quote" in text, vm.report()
    assert status == FAILURE, vm.report()


def test_lspci_finds_the_controller(vm, boot):
    # On pc (and on q35's root bus) the device is transitional, 1af4:1004;
    # behind a PCIe root port it is modern-only, 1af4:1048 (QEMU 7.2).
    behind_port = boot.machine == "q35"
    devices = qemurun.controller("scsi0", boot.machine, root_port=behind_port)
    status, text = vm.run_script("lspci", devices)
    want = "1af4:1048" if behind_port else "1af4:1004"
    assert want in text, vm.report()
    assert status == SUCCESS, vm.report()


def test_interactive_shell(vm):
    vm.start()  # no command line: the shell waits for input
    banner = vm.expect_prompt()
    assert BANNER in banner, vm.report()
    out = vm.command("help")
    for name in ("help", "echo", "sleep", "lspci", "poweroff"):
        assert re.search(rf"\b{name}\b", out), f"help lacks {name}\n" + vm.report()
    assert line("hi there").search(vm.command('echo "hi there"')), vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_interactive_unknown_command_keeps_the_shell(make_vm, machine):
    vm = make_vm(machine)
    vm.start()
    vm.expect_prompt()
    assert "frobnicate: command not found" in vm.command("frobnicate"), vm.report()
    assert line("still here").search(vm.command("echo still here")), vm.report()
    vm.send_line("poweroff")
    assert vm.wait() == SUCCESS, vm.report()
