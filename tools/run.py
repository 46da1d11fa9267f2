#!/usr/bin/env python3
"""run.py - `make run`: boot the demo configuration to the kernel's shell.

    make run                          BIOS (-kernel build/vscsi.elf), -M pc
    make run UEFI=1                   OVMF, booting build/esp
    make run QEMU_ARGS='--machine q35'
    make run QEMU_ARGS='-blockdev driver=file,filename=my.img,node-name=my
                        -device scsi-hd,bus=scsi0.0,scsi-id=3,drive=my'

    tools/run.py [--uefi] [--machine pc|q35|microvm] [--cmdline SCRIPT]
                 [--no-demo] [--dry-run] [QEMU ARGS...] [-- QEMU ARGS...]

The demo topology is one virtio-scsi controller `scsi0` with
  target 0: build/demo/disk.raw   (scsi-hd, raw)
  target 1: build/demo/disk.qcow2 (scsi-hd, qcow2)
  target 2: build/demo/demo.iso   (scsi-cd)
Targets 3 and up are free for your own disks (bus=scsi0.0).

The options above are recognised anywhere before a lone `--`; every other
argument (and everything after `--`) goes to QEMU unchanged, so QEMU_ARGS can
hold plain QEMU options.  The serial console is on this terminal
(-serial mon:stdio): Ctrl-A X quits QEMU, Ctrl-A C toggles the monitor.
"""
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkimages  # noqa: E402
import qemurun   # noqa: E402

def parse(argv):
    opts = {"uefi": False, "machine": "pc", "cmdline": None, "demo": True, "dry_run": False}
    passthrough = []
    it = iter(argv)
    for a in it:
        if a == "--":
            passthrough += list(it)
            break
        key, eq, val = a.partition("=")
        if a == "--uefi":
            opts["uefi"] = True
        elif key in ("--machine", "--cmdline"):
            if not eq:
                val = next(it, None)
                if val is None:
                    raise SystemExit(f"run.py: {key} needs a value")
            opts[key[2:]] = val
        elif a == "--no-demo":
            opts["demo"] = False
        elif a == "--dry-run":
            opts["dry_run"] = True
        elif a in ("--help", "-h"):
            print(__doc__)
            raise SystemExit(0)
        else:
            passthrough.append(a)
    return opts, passthrough


def demo_devices(machine, images):
    # On q35 the controller sits on pcie.0, where it stays transitional
    # (1af4:1004) as on pc; add your own pcie-root-port for a modern-only one.
    bus = "scsi0"
    return (qemurun.controller(bus, machine)
            + qemurun.disk(images["raw"], target=0, bus=bus, node="demo-raw", serial="DEMO-RAW")
            + qemurun.disk(images["qcow2"], target=1, bus=bus, node="demo-qcow2", serial="DEMO-QCOW2")
            + qemurun.cdrom(images["iso"], target=2, bus=bus, node="demo-iso"))


def main(argv):
    opts, extra = parse(argv)
    machine = opts["machine"]
    devices = []
    if opts["demo"]:
        try:
            images = mkimages.build()
        except RuntimeError as e:
            print(f"run.py: {e}", file=sys.stderr)
            return 1
        devices = demo_devices(machine, images)
    try:
        cmd = qemurun.qemu_command(machine=machine, uefi=opts["uefi"], cmdline=opts["cmdline"],
                                   serial="mon:stdio", devices=devices, extra=extra)
    except ValueError as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 1
    print("+ " + shlex.join(cmd), file=sys.stderr, flush=True)
    if opts["dry_run"]:
        return 0
    err = qemurun.check_inputs(opts["uefi"])
    if err:
        print(f"run.py: {err}", file=sys.stderr)
        return 1
    print("run.py: serial console follows; Ctrl-A X quits QEMU"
          + (" (OVMF takes a few seconds)" if opts["uefi"] else ""), file=sys.stderr, flush=True)
    try:
        status = subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130
    print(f"\nrun.py: QEMU exited with {status}: {qemurun.describe_exit(status, 'x')}",
          file=sys.stderr)
    if status == qemurun.EXIT_TRIPLE:
        return 0  # most likely Ctrl-A X: not an error for an interactive session
    return qemurun.cli_status(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
