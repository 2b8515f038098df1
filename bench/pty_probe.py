#!/usr/bin/env python3
"""Run certdeck's TUI in an 80x24 pty and measure what a user on a slow link feels:
time to the first painted list rows, and bytes written to the terminal per keystroke.

usage: pty_probe.py CERTDECK STORE [--keys N]"""
import fcntl
import os
import re
import pty
import select
import struct
import sys
import termios
import time


def read_until_quiet(fd, quiet=0.3, limit=30.0):
    """Read everything the program writes until it has been silent for `quiet` seconds."""
    buf = b""
    start = time.monotonic()
    last = start
    while time.monotonic() - start < limit:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            last = time.monotonic()
        elif time.monotonic() - last > quiet and buf:
            break
    return buf


def main():
    exe, store = sys.argv[1], sys.argv[2]
    keys = int(sys.argv[sys.argv.index("--keys") + 1]) if "--keys" in sys.argv else 20
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["NO_COLOR"] = ""
        os.environ["TERM"] = "xterm-256color"
        os.execv(exe, [exe, "--store", store])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.monotonic()
    first_rows = None
    seen = b""
    while time.monotonic() - t0 < 30:
        r, _, _ = select.select([fd], [], [], 0.01)
        if r:
            seen += os.read(fd, 65536)
            # A list row carries a days-left cell ("  398d "); the header and the status line
            # ("0 certs") do not.
            if first_rows is None and re.search(rb"[0-9]d(?=[^a-zA-Z0-9])", seen):
                first_rows = time.monotonic() - t0
                break
    # Let the scan finish streaming before measuring keystrokes.
    read_until_quiet(fd, quiet=1.0, limit=120)
    sizes = []
    for _ in range(keys):
        os.write(fd, b"j")
        sizes.append(len(read_until_quiet(fd, quiet=0.15, limit=5)))
    os.write(fd, b"q")
    read_until_quiet(fd, quiet=0.3, limit=5)
    os.waitpid(pid, 0)
    sizes.sort()
    print(f"first_rows_ms={first_rows * 1000 if first_rows else -1:.1f}")
    print(f"bytes_per_keystroke_median={sizes[len(sizes) // 2]} max={sizes[-1]} min={sizes[0]}")


if __name__ == "__main__":
    main()
