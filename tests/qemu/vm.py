"""vm.py - drive one QEMU running the vscsi test kernel, for the pytest tests.

The serial console is QEMU's `-serial stdio` on pipes: a reader thread copies
everything the guest prints into memory and into serial.log, so no byte is
lost however early the guest writes (a BIOS boot takes ~0.1 s), and input is
written to QEMU's stdin.  QEMU's stderr goes to qemu.stderr.  QMP listens on a
unix socket (in a short directory under /tmp: socket paths are limited to 107
bytes and pytest's tmp paths can be longer) and is connected on first use.

Every start arms a watchdog that kills QEMU when its timeout expires, so a
hung guest or a hung test cannot keep QEMU alive; close() always kills it.

Matching works on the normalised text: \\r removed and ANSI escapes (OVMF
clears the screen) stripped.  A cursor remembers how far wait_for() has
consumed, so each wait only sees new output.
"""
import ctypes
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from typing import NamedTuple

import pytest

import qemurun
from qmp import QMP

PROMPT = "vscsi> "
BIOS_TIMEOUT = 60.0
UEFI_TIMEOUT = 120.0
_ANSI = re.compile(r"\x1b(\[[0-9;?=]*[ -/]*[@-~]|[@-Z\\-_])")


class Boot(NamedTuple):
    """One firmware/machine combination of the test matrix."""
    machine: str
    uefi: bool

    @property
    def id(self):
        return f"{'uefi' if self.uefi else 'bios'}-{self.machine}"


BOOTS = [Boot("pc", False), Boot("q35", False), Boot("q35", True)]


def boot_params(boots=BOOTS):
    """pytest params for a list of Boot; the UEFI ones carry the `uefi` mark."""
    return [pytest.param(b, id=b.id, marks=[pytest.mark.uefi] if b.uefi else [])
            for b in boots]


def normalize(raw):
    """Serial bytes as text a test can match: no CR, no ANSI escapes."""
    text = raw.decode("utf-8", errors="replace")
    return _ANSI.sub("", text).replace("\r", "")


class VMError(AssertionError):
    """A wait failed; the message carries the serial tail and QEMU's stderr."""


class ScriptResult(NamedTuple):
    status: object   # QEMU exit status (33 success), None if the timeout killed it
    text: str        # normalised serial output

    @property
    def meaning(self):
        return qemurun.describe_exit(self.status, self.text)


try:
    # Looked up here, in the parent: the child between fork and exec should
    # only make the call.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Linux: QEMU gets SIGKILL if the test process dies, so no orphan keeps
    # running after a crashed or killed pytest.  (The signal follows the
    # thread that called Popen; the tests start QEMU from the main thread.)
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class VM:
    def __init__(self, workdir, machine="pc", uefi=False, name="vm", memory="256M",
                 timeout=None, kernel=None, esp=None, esp_bootindex=True):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.machine = machine
        self.uefi = uefi
        self.name = name
        self.memory = memory
        self.kernel = kernel
        self.esp = esp
        self.esp_bootindex = esp_bootindex
        self.timeout = timeout or (UEFI_TIMEOUT if uefi else BIOS_TIMEOUT)
        self.serial_log = os.path.join(self.workdir, "serial.log")
        self.stderr_log = os.path.join(self.workdir, "qemu.stderr")
        self.proc = None
        self.args = None
        self.status = None
        self.timed_out = False
        self._sockdir = None
        self._qmp = None
        self._raw = bytearray()
        self._done = 0      # bytes of _raw up to the last newline, already in _text
        self._text = ""     # normalize(_raw[:_done])
        self._cursor = 0
        self._cond = threading.Condition()
        self._eof = False
        self._reader = None
        self._watchdog = None
        self._started_at = None

    # --- life cycle -------------------------------------------------------

    def command_line(self, cmdline=None, devices=(), extra=(), paused=False):
        return qemurun.qemu_command(
            machine=self.machine, uefi=self.uefi, cmdline=cmdline, serial="stdio",
            qmp=self.qmp_path, devices=devices, extra=extra, kernel=self.kernel,
            esp=self.esp, memory=self.memory, paused=paused, esp_bootindex=self.esp_bootindex)

    @property
    def qmp_path(self):
        if self._sockdir is None:
            self._sockdir = tempfile.mkdtemp(prefix="vscsi-qmp-")
        return os.path.join(self._sockdir, "qmp.sock")

    def start(self, cmdline=None, devices=(), extra=(), timeout=None, paused=False):
        """Start QEMU.  cmdline None/"" boots to the interactive shell.
        paused=True starts with -S, connects QMP and leaves the CPU stopped
        (call cont()) so a test can set things up before the guest runs."""
        if self.proc is not None:
            raise RuntimeError("VM already started; use a new VM per boot")
        err = qemurun.check_inputs(self.uefi, self.kernel, self.esp)
        if err:
            raise VMError(err)
        self.args = self.command_line(cmdline, devices, extra, paused)
        with open(os.path.join(self.workdir, "qemu.cmd"), "w") as f:
            f.write(shlex.join(self.args) + "\n")
        self._stderr_file = open(self.stderr_log, "wb")
        self._serial_file = open(self.serial_log, "wb")
        self._started_at = time.monotonic()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr_file, preexec_fn=_die_with_parent)
        self._reader = threading.Thread(target=self._read_serial, daemon=True)
        self._reader.start()
        limit = self.timeout if timeout is None else timeout
        self._watchdog = threading.Timer(limit, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        if paused:
            self.qmp  # connect now: nothing runs until cont()
        return self

    def _expire(self):
        if self.proc and self.proc.poll() is None:
            self.timed_out = True
            self.proc.kill()

    def _read_serial(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._raw += data
                self._serial_file.write(data)
                self._serial_file.flush()
                self._cond.notify_all()

    def wait(self, timeout=None):
        """Wait for QEMU to exit; returns its status, or None if it had to be
        killed because its timeout (or `timeout` here) expired."""
        if self.proc is None:
            raise RuntimeError("VM not started")
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.proc.kill()
            self.proc.wait()
        self._finish()
        return None if self.timed_out else self.proc.returncode

    def _finish(self):
        if self._watchdog:
            self._watchdog.cancel()
        if self._reader:
            self._reader.join(5)
        self.status = None if self.timed_out else self.proc.returncode

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def close(self):
        """Kill QEMU if it still runs and release everything; idempotent."""
        if self._qmp:
            self._qmp.close()
            self._qmp = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._finish()
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            self._stderr_file.close()
            self._serial_file.close()
        if self._sockdir:
            shutil.rmtree(self._sockdir, ignore_errors=True)
            self._sockdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- script mode ------------------------------------------------------

    def run_script(self, cmdline, devices=(), timeout=None, extra=()):
        """Boot with a script ("cmd1; cmd2"), wait for the power-off.
        Returns ScriptResult(status, text): status is QEMU's exit status
        (33 = every command succeeded) or None on timeout."""
        self.start(cmdline, devices, extra, timeout)
        status = self.wait()
        return ScriptResult(status, self.output)

    # --- serial -----------------------------------------------------------

    @property
    def output(self):
        """Everything the guest printed so far, normalised."""
        with self._cond:
            return self._normalized()

    def _normalized(self):
        # Whole lines are normalised once and kept: escape sequences and
        # UTF-8 characters never span a newline, so only the unfinished
        # last line is redone each time.
        end = self._raw.rfind(b"\n") + 1
        if end > self._done:
            self._text += normalize(bytes(self._raw[self._done:end]))
            self._done = end
        return self._text + normalize(bytes(self._raw[self._done:]))

    def wait_for(self, pattern, timeout=None):
        """Wait until `pattern` (a str, or a compiled regex) appears after the
        cursor; return the text from the cursor to the end of the match and
        move the cursor past it.  Raises VMError on timeout or QEMU exit."""
        __tracebackhide__ = True  # pytest: show the caller, not this frame
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                text = self._normalized()
                if isinstance(pattern, str):
                    i = text.find(pattern, self._cursor)
                    end = i + len(pattern) if i >= 0 else -1
                else:
                    m = pattern.search(text, self._cursor)
                    end = m.end() if m else -1
                if end >= 0:
                    out = text[self._cursor:end]
                    self._cursor = end
                    return out
                if self._eof:
                    self._cond.release()
                    try:
                        status = self.proc.wait(5)
                    except subprocess.TimeoutExpired:
                        status = None
                    finally:
                        self._cond.acquire()
                    raise VMError(f"QEMU exited ({qemurun.describe_exit(status, text)}, "
                                  f"status {status}) before {pattern!r} appeared\n"
                                  + self.report())
                left = deadline - time.monotonic()
                if left <= 0:
                    raise VMError(f"{pattern!r} did not appear within {timeout} s\n"
                                  + self.report())
                self._cond.wait(left)

    def send(self, data):
        """Type raw text (or bytes) on the serial console."""
        __tracebackhide__ = True
        if isinstance(data, str):
            data = data.encode()
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise VMError(f"cannot type {data!r}: QEMU is gone\n" + self.report()) from None

    def send_line(self, line):
        """Type a line and press Enter (CR, as a terminal does)."""
        __tracebackhide__ = True
        self.send(line + "\r")

    def expect_prompt(self, timeout=None):
        """Wait for the shell prompt; returns the text before it."""
        __tracebackhide__ = True
        return self.wait_for(PROMPT, timeout)[:-len(PROMPT)]

    def command(self, line, timeout=None):
        """Run one interactive command and return its output (without the
        echoed command line and the next prompt)."""
        __tracebackhide__ = True
        self.send_line(line)
        out = self.expect_prompt(timeout)
        first, sep, rest = out.partition("\n")
        return rest if first.strip() == line.strip() else out

    # --- QMP --------------------------------------------------------------

    @property
    def qmp(self):
        """The QMP connection, made on first use."""
        __tracebackhide__ = True
        if self._qmp is None:
            if self.proc is None:
                raise RuntimeError("VM not started")
            try:
                self._qmp = QMP(self.qmp_path, timeout=min(30.0, self.timeout),
                                alive=lambda: self.proc.poll() is None)
            except (ConnectionError, TimeoutError, OSError) as e:
                raise VMError(f"QMP: {e}\n" + self.report()) from None
        return self._qmp

    def cont(self):
        self.qmp.cmd("cont")

    # --- diagnostics ------------------------------------------------------

    def stderr_text(self):
        try:
            with open(self.stderr_log, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def report(self, tail=6000):
        """Command, status, serial tail and stderr, for failure messages."""
        status = self.proc.poll() if self.proc else None
        if self.timed_out:
            state = f"killed after its {self.timeout} s timeout"
        elif status is None and self.proc:
            state = f"running for {time.monotonic() - self._started_at:.1f} s"
        elif status is None:
            state = "not started"
        else:
            state = f"exited {status}: {qemurun.describe_exit(status, self.output)}"
        serial = self.output
        if len(serial) > tail:
            serial = "[...]\n" + serial[-tail:]
        return (f"--- {self.name}: QEMU {state}\n"
                f"--- command: {shlex.join(self.args) if self.args else '-'}\n"
                f"--- serial ({self.serial_log}):\n{serial}\n"
                f"--- qemu stderr:\n{self.stderr_text()[-3000:]}")
