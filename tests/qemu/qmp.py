"""qmp.py - a small QMP client for the tests (Python stdlib only).

QMP speaks one JSON object per line over a unix socket:
the server greets with {"QMP": {...}}, the client leaves negotiation mode with
qmp_capabilities, then each command carries an "id" that its reply echoes.
Events ({"event": ...}) arrive at any time, also between a command and its
reply, so they are queued here and handed out by wait_event().
"""
import json
import socket
import time


class QMPError(Exception):
    """QEMU answered a command with {"error": {"class": ..., "desc": ...}}."""

    def __init__(self, command, error):
        self.command = command
        self.error_class = error.get("class", "?")
        self.desc = error.get("desc", "")
        super().__init__(f"{command}: {self.error_class}: {self.desc}")


class QMP:
    def __init__(self, path, timeout=30.0, alive=None):
        """Connect to the QMP socket at `path`, retrying until it accepts or
        `timeout` passes.  `alive()` (optional) returns False once QEMU has
        exited, to stop retrying early."""
        self.path = path
        self.timeout = timeout
        self.events = []
        self._buf = b""
        self._next_id = 0
        self.sock = self._connect(path, timeout, alive)
        self.greeting = self._recv(timeout)
        if "QMP" not in self.greeting:
            raise ConnectionError(f"not a QMP greeting: {self.greeting}")
        self.cmd("qmp_capabilities")

    @staticmethod
    def _connect(path, timeout, alive):
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if alive is not None and not alive():
                    raise ConnectionError(f"QEMU exited before QMP ({path}) accepted")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"QMP socket {path} not ready after {timeout} s")
                time.sleep(0.02)

    def _recv(self, timeout):
        """The next JSON message; raises TimeoutError or EOFError."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no QMP message")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no QMP message") from None
            except ConnectionResetError:
                data = b""
            if not data:
                raise EOFError("QMP connection closed (QEMU exited?)")
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def send(self, name, args=None):
        """Send a command without waiting; returns its id."""
        self._next_id += 1
        msg = {"execute": name, "id": self._next_id}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        return self._next_id

    def cmd(self, name, args=None, timeout=None, **kw):
        """Run a command and return its "return" value; raise QMPError on
        "error".  Arguments go in `args` (for names with dashes) or as
        keywords: qmp.cmd("device_del", id="hd1")."""
        args = dict(args or {}, **kw)
        want = self.send(name, args)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                msg = self._recv(max(left, 0.001))
            except TimeoutError:
                raise TimeoutError(f"QMP {name}: no reply in {timeout} s") from None
            if "event" in msg:
                self.events.append(msg)
            elif msg.get("id") == want:
                if "error" in msg:
                    raise QMPError(name, msg["error"])
                return msg.get("return")

    def hmp(self, command_line):
        """Run a human-monitor command (e.g. qemu-io ...) and return its text."""
        return self.cmd("human-monitor-command", {"command-line": command_line})

    def _take_event(self, name, match):
        for i, ev in enumerate(self.events):
            if ev["event"] == name and match(ev.get("data", {})):
                return self.events.pop(i)
        return None

    def wait_event(self, name, timeout=10.0, match=lambda data: True):
        """Return (and remove from the queue) the first event called `name`
        whose data satisfies match(data); wait up to `timeout` seconds."""
        ev = self._take_event(name, match)
        if ev:
            return ev
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                msg = self._recv(left)
            except TimeoutError:
                break
            if "event" not in msg:
                continue  # a late reply to a command that timed out
            if msg["event"] == name and match(msg.get("data", {})):
                return msg
            self.events.append(msg)
        seen = [e["event"] for e in self.events]
        raise TimeoutError(f"no QMP event {name} in {timeout} s (queued: {seen})")

    def poll_events(self):
        """Queue whatever events have already arrived, without waiting;
        returns the queue."""
        while True:
            if b"\n" not in self._buf:
                self.sock.setblocking(False)
                try:
                    data = self.sock.recv(65536)
                except BlockingIOError:
                    return self.events
                finally:
                    self.sock.setblocking(True)
                if not data:
                    raise EOFError("QMP connection closed (QEMU exited?)")
                self._buf += data
                continue
            msg = self._recv(0.001)
            if "event" in msg:
                self.events.append(msg)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
