#!/usr/bin/env python3
"""bench.py - `make bench`: IOPS and latency of the driver against null-co.

Boots the kernel with one virtio-scsi controller and a null-co scsi-hd (no
data, no host I/O: what is left is the driver plus QEMU's device emulation,
the "device ceiling" setting of perf.md) and runs the guest command `bench`,
which prints lines such as

    bench qd=1 iops=6800 lat_us=147

Configurations are run alternately (A B, B A, A B ...) so slow drift of the
host affects each one alike; the table gives the median over the runs.

    tools/bench.py [--runs N] [--config NAME] [--guest-args 'ARGS'] [--uefi]
                   [--machine pc|q35] [--print-output]
    make bench BENCH_ARGS='--runs 5 --config split'
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemurun  # noqa: E402

# name -> extra virtio-scsi-pci properties
CONFIGS = {
    "split": {},
    "packed": {"packed": True},
}
LINE = re.compile(r"^bench\s+(\S+=\S+(?:\s+\S+=\S+)*)\s*$", re.M)
METRIC = re.compile(r"(iops|ios|errors|_us|_ms|_ns|mbps|mib_s|_s)$")
TIMEOUT = 300


def devices(machine, ctrl_props):
    return (qemurun.controller("scsi0", machine, **ctrl_props)
            + qemurun.blockdev_null("bench0", size=1 << 30, read_zeroes=False)
            + qemurun.scsi_hd("bench0", target=0, bus="scsi0", serial="BENCH0"))


def run_once(machine, uefi, ctrl_props, guest_args):
    script = f"bench {guest_args}".strip()
    cmd = qemurun.qemu_command(machine=machine, uefi=uefi, cmdline=script, serial="stdio",
                               devices=devices(machine, ctrl_props))
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace"), cmd
    return r.returncode, r.stdout.decode(errors="replace").replace("\r", ""), cmd


def parse(text):
    """[(key, {metric: value})] with key the non-metric fields (qd=1 ...)."""
    rows = []
    for m in LINE.finditer(text):
        fields = dict(kv.split("=", 1) for kv in m.group(1).split())
        key = tuple((k, v) for k, v in fields.items() if not METRIC.search(k))
        metrics = {}
        for k, v in fields.items():
            if METRIC.search(k):
                try:
                    metrics[k] = float(v)
                except ValueError:
                    pass
        rows.append((key, metrics))
    return rows


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="boots per configuration (default 3)")
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS),
                    help="configuration(s) to run (default: all)")
    ap.add_argument("--guest-args", default="", help="arguments for the guest's bench command")
    ap.add_argument("--machine", default="pc")
    ap.add_argument("--uefi", action="store_true")
    ap.add_argument("--print-output", action="store_true", help="show each run's serial output")
    a = ap.parse_args(argv)
    err = qemurun.check_inputs(a.uefi)
    if err:
        print(f"bench: {err}", file=sys.stderr)
        return 1
    configs = a.config or list(CONFIGS)
    results = {}   # (config, key) -> {metric: [values]}
    failures = {}
    for rnd in range(a.runs):
        order = configs if rnd % 2 == 0 else configs[::-1]
        for name in order:
            status, text, cmd = run_once(a.machine, a.uefi, CONFIGS[name], a.guest_args)
            if a.print_output:
                print(f"--- {name} run {rnd + 1}:\n{text}")
            if "bench: command not found" in text:
                print("bench: the guest has no `bench` command yet (boot/: the shell's "
                      "command table); nothing to measure.", file=sys.stderr)
                return 2
            rows = parse(text)
            if status != qemurun.EXIT_SUCCESS or not rows:
                why = qemurun.describe_exit(status, text)
                failures.setdefault(name, []).append(why)
                print(f"bench: {name} run {rnd + 1} failed: {why}; last output:\n"
                      + "\n".join(text.splitlines()[-15:]), file=sys.stderr)
                continue
            for key, metrics in rows:
                slot = results.setdefault((name, key), {})
                for k, v in metrics.items():
                    slot.setdefault(k, []).append(v)
            print(f"bench: {name} run {rnd + 1}/{a.runs} done", file=sys.stderr, flush=True)
    if not results:
        print("bench: no results", file=sys.stderr)
        return 1
    print_table(results)
    return 1 if failures else 0


def print_table(results):
    metric_names = sorted({m for slot in results.values() for m in slot},
                          key=lambda m: (m != "iops", m))
    header = ["config", "case"] + [f"{m} (median)" for m in metric_names] + ["runs"]
    rows = []
    for (name, key), slot in results.items():
        case = " ".join(f"{k}={v}" for k, v in key) or "-"
        vals = []
        for m in metric_names:
            v = slot.get(m)
            vals.append(f"{statistics.median(v):.1f}" if v else "-")
        runs = max(len(v) for v in slot.values())
        rows.append([name, case] + vals + [str(runs)])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for r in [header] + rows:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
