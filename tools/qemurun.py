#!/usr/bin/env python3
"""qemurun.py - assemble the QEMU command line that boots the vscsi test kernel.

Used three ways: as a library by tools/run.py, tools/bench.py and the pytest
fixtures (tests/qemu/vm.py), and as a small CLI:

    tools/qemurun.py [--uefi] [--machine pc|q35|microvm] [--cmdline 'echo hi; lspci']
                     [--print] [-- EXTRA QEMU ARGS...]

Every command line starts with the same fixed part: TCG only (/dev/kvm here is
a software hypervisor too slow for our kernel), no default
devices, no reboot (a triple fault exits instead of looping), no display,
256 MiB, and the isa-debug-exit port the kernel powers off through.

Firmware:
  BIOS  `-kernel build/vscsi.elf [-append CMDLINE]`: SeaBIOS loads the PVH ELF
        and hands it the command line verbatim (the PVH start_info cmdline_paddr).
  UEFI  `-bios OVMF.fd` with the ESP directory build/esp as a virtual FAT
        disk (snapshot=on: nothing is written back); the command line goes through the fw_cfg file
        opt/vscsi/cmdline (OVMF's boot manager passes empty LoadOptions
        when it boots the removable-media path of a disk).  The combined OVMF.fd needs no vars file and starts about 1 s
        sooner than the split 4M pflash images.

Exit status (boot/kernel/boot.h): the kernel writes v to port 0xf4 and QEMU
exits with (v << 1) | 1.
"""
import argparse
import os
import shlex
import subprocess
import sys
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# VSCSI_BUILD points everything at another build directory (make B=...).
BUILD = os.path.abspath(os.environ.get("VSCSI_BUILD") or os.path.join(REPO, "build"))
KERNEL = os.path.join(BUILD, "vscsi.elf")
ESP_DIR = os.path.join(BUILD, "esp")
EFI_APP = os.path.join(ESP_DIR, "EFI", "BOOT", "BOOTX64.EFI")
QEMU = "qemu-system-x86_64"
OVMF = "/usr/share/ovmf/OVMF.fd"
MACHINES = ("pc", "q35", "microvm")
FW_CFG_CMDLINE = "opt/vscsi/cmdline"

# QEMU exit statuses produced by isa-debug-exit (boot/kernel/boot.h).
EXIT_SUCCESS = 33   # guest status 0 (debug-exit value 0x10)
EXIT_FAILURE = 35   # guest status != 0 (0x11)
EXIT_PANIC = 37     # CPU exception or kernel panic (0x12)
EXIT_TRIPLE = 0     # -no-reboot turns a triple fault into a clean QEMU exit
EXIT_QEMU_ERROR = 1  # QEMU refused the command line (see its stderr)


def describe_exit(status, output=""):
    """One phrase saying what a QEMU exit status means for the guest."""
    if status is None:
        return "still running or killed by the harness timeout"
    if status == EXIT_SUCCESS:
        return "success (guest status 0)"
    if status == EXIT_FAILURE:
        return "guest failure (a command failed)"
    if status == EXIT_PANIC:
        return "kernel panic or CPU exception"
    if status == EXIT_TRIPLE:
        if not output:
            return "triple fault before any output (or QEMU was quit)"
        return "QEMU quit (Ctrl-A X, QMP quit) or a triple fault: no isa-debug-exit"
    if status == EXIT_QEMU_ERROR:
        return "QEMU error (bad command line? see stderr)"
    if status < 0:
        return f"QEMU killed by signal {-status}"
    if status & 1:
        return f"unknown debug-exit value {status >> 1:#x}"
    return f"unexpected QEMU exit status {status}"


def qemu_escape(value):
    """Escape a value for QEMU's option syntax, where ',' separates keys."""
    return str(value).replace(",", ",,")


def props(**kw):
    """`key=value` pairs for a -device/-blockdev string; None values are
    skipped, True/False become on/off, underscores in keys become dashes."""
    out = []
    for k, v in kw.items():
        if v is None:
            continue
        if isinstance(v, bool):
            v = "on" if v else "off"
        out.append(f"{k.replace('_', '-')}={qemu_escape(v)}")
    return ",".join(out)


def _join(driver, **kw):
    p = props(**kw)
    return f"{driver},{p}" if p else driver


# --- device fragments -----------------------------------------------------
# Each returns a list of QEMU arguments; concatenate them for a topology.

def controller(id="scsi0", machine="pc", root_port=False, **kw):
    """A virtio-scsi controller.  On microvm it is the virtio-mmio device;
    root_port=True (q35) puts it behind its own pcie-root-port, where it is
    modern-only (1af4:1048, as QEMU 7.2 does for PCI Express).  Extra keywords become device
    properties (num_queues=4, disable_legacy=True, vectors=0, ...)."""
    args = []
    machine = machine.split(",")[0]
    if machine == "microvm":
        return ["-device", _join("virtio-scsi-device", id=id, **kw)]
    if root_port:
        if machine != "q35":
            raise ValueError("root_port needs -M q35")
        port = f"{id}-rp"
        # (chassis, slot) must be unique per port; derive it from the id.
        chassis = kw.pop("chassis", None) or zlib.crc32(id.encode()) % 250 + 1
        args += ["-device", _join("pcie-root-port", id=port, chassis=chassis)]
        kw["bus"] = port
    return args + ["-device", _join("virtio-scsi-pci", id=id, **kw)]


def blockdev_file(node, path, fmt="raw", read_only=False):
    """A file-backed block node named `node` (format raw or qcow2)."""
    fnode = f"{node}-file"
    ro = True if read_only else None
    return ["-blockdev", _join("file", node_name=fnode, filename=path, read_only=ro),
            "-blockdev", _join(fmt, node_name=node, file=fnode, read_only=ro)]


def blockdev_null(node, size=64 << 20, read_zeroes=True, latency_ns=None, aio=False):
    """A null-co (or null-aio) node: no data, just speed (QEMU's null-co block driver)."""
    return ["-blockdev", _join("null-aio" if aio else "null-co", node_name=node,
                               size=int(size), read_zeroes=read_zeroes,
                               latency_ns=latency_ns)]


def scsi_hd(node, target=0, lun=0, bus="scsi0", id=None, **kw):
    """A scsi-hd on controller `bus` at target:lun, backed by block node `node`."""
    return ["-device", _join("scsi-hd", id=id, bus=f"{bus}.0", scsi_id=target,
                             lun=lun, drive=node, **kw)]


def scsi_cd(node=None, target=2, lun=0, bus="scsi0", id=None, **kw):
    """A scsi-cd; node=None gives an empty tray."""
    return ["-device", _join("scsi-cd", id=id, bus=f"{bus}.0", scsi_id=target,
                             lun=lun, drive=node, **kw)]


def disk(path, target=0, lun=0, bus="scsi0", fmt=None, node=None, read_only=False, **kw):
    """File backend plus scsi-hd in one call; the format follows the suffix."""
    path = str(path)
    node = node or f"d{target}-{lun}"
    fmt = fmt or ("qcow2" if path.endswith(".qcow2") else "raw")
    return blockdev_file(node, path, fmt, read_only) + scsi_hd(node, target, lun, bus, **kw)


def cdrom(iso, target=2, lun=0, bus="scsi0", node=None, **kw):
    node = node or f"cd{target}-{lun}"
    return blockdev_file(node, iso, "raw", read_only=True) + scsi_cd(node, target, lun, bus, **kw)


# --- the whole command line -----------------------------------------------

def serial_args(serial):
    """serial: 'stdio' (tests: through pipes), 'mon:stdio' (a human: Ctrl-A X
    quits, Ctrl-A C gives the monitor), 'file:PATH', 'none', or any -serial value."""
    return ["-serial", serial]


def qemu_command(machine="pc", uefi=False, cmdline=None, serial="stdio", qmp=None,
                 devices=(), extra=(), kernel=None, esp=None, memory="256M",
                 smp=None, paused=False, ovmf=OVMF, qemu=QEMU, esp_bootindex=True):
    """The argument list for one QEMU run.

    cmdline: the kernel's script ("cmd1; cmd2"); None or "" boots to the
    interactive shell.  qmp: path of a unix socket for QMP, or None.
    devices/extra: argument lists appended in that order.
    esp_bootindex=False lets OVMF connect (and drive) every device, the
    virtio-scsi controller included, before our kernel takes it over."""
    if machine.split(",")[0] not in MACHINES:
        raise ValueError(f"unknown machine {machine!r} (want one of {MACHINES})")
    if uefi and machine.startswith("microvm"):
        raise ValueError("UEFI is not available on microvm (OVMF.fd is for pc/q35)")
    args = [qemu, "-accel", "tcg", "-M", machine, "-m", memory,
            "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if smp:
        args += ["-smp", str(smp)]
    if uefi:
        esp = esp or ESP_DIR
        # vvfat of build/esp under a throw-away snapshot overlay: ide-hd
        # wants a writable node, and `fat:rw:` without the overlay would
        # write anything the firmware writes back into build/esp.  ide.0 is
        # PIIX IDE on pc and the built-in AHCI's first port on q35.  The
        # bootindex makes OVMF connect only the boot disk and leave
        # virtio-scsi untouched.
        args += ["-bios", ovmf,
                 "-drive", f"if=none,id=esp,format=raw,snapshot=on,file=fat:{qemu_escape(esp)}",
                 "-device", "ide-hd,bus=ide.0,drive=esp" + (",bootindex=0" if esp_bootindex else "")]
        if cmdline:
            args += ["-fw_cfg", f"name={FW_CFG_CMDLINE},string={qemu_escape(cmdline)}"]
    else:
        args += ["-kernel", kernel or KERNEL]
        if cmdline:
            args += ["-append", cmdline]
    args += serial_args(serial)
    if qmp:
        args += ["-qmp", f"unix:{qemu_escape(qmp)},server=on,wait=off"]
    if paused:
        args += ["-S"]
    return args + list(devices) + list(extra)


def check_inputs(uefi=False, kernel=None, esp=None):
    """A readable error when the kernel or firmware is missing, or None."""
    if uefi:
        app = os.path.join(esp or ESP_DIR, "EFI", "BOOT", "BOOTX64.EFI")
        if not os.path.exists(app):
            return f"{app} is missing: run `make` first"
        if not os.path.exists(OVMF):
            return f"{OVMF} is missing: install the Debian package ovmf"
    else:
        k = kernel or KERNEL
        if not os.path.exists(k):
            return f"{k} is missing: run `make` first"
    return None


def cli_status(qemu_status):
    """Map QEMU's status to a shell-friendly one: 0 success, 1 guest failure,
    2 panic, 3 anything else (triple fault, QEMU error, signal)."""
    return {EXIT_SUCCESS: 0, EXIT_FAILURE: 1, EXIT_PANIC: 2}.get(qemu_status, 3)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(
        description="Boot the vscsi test kernel under QEMU (TCG). Exit status: "
                    "0 success, 1 guest failure, 2 panic, 3 other.",
        epilog="Example: tools/qemurun.py --cmdline 'lspci' -- "
               "-device virtio-scsi-pci,id=scsi0")
    ap.add_argument("--uefi", action="store_true", help="boot through OVMF")
    ap.add_argument("--machine", default="pc", help="pc (default), q35 or microvm")
    ap.add_argument("--cmdline", default=None, help="script for the kernel shell")
    ap.add_argument("--serial", default="mon:stdio", help="-serial value (default mon:stdio)")
    ap.add_argument("--qmp", default=None, help="path of a QMP unix socket")
    ap.add_argument("--timeout", type=float, default=None, help="kill QEMU after this many seconds")
    ap.add_argument("--print", action="store_true", help="print the command, do not run it")
    a = ap.parse_args(argv)
    cmd = qemu_command(machine=a.machine, uefi=a.uefi, cmdline=a.cmdline,
                       serial=a.serial, qmp=a.qmp, extra=extra)
    print(shlex.join(cmd), file=sys.stderr if not a.print else sys.stdout, flush=True)
    if a.print:
        return 0
    err = check_inputs(a.uefi)
    if err:
        print(f"qemurun: {err}", file=sys.stderr)
        return 3
    try:
        status = subprocess.run(cmd, timeout=a.timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"qemurun: timed out after {a.timeout} s", file=sys.stderr)
        return 3
    print(f"qemurun: QEMU exited with {status}: {describe_exit(status, 'x')}", file=sys.stderr)
    return cli_status(status)


if __name__ == "__main__":
    sys.exit(main())
