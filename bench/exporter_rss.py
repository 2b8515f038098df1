#!/usr/bin/env python3
"""The exporter over a big store, scraped N times in a row: scrape times (median, p95, max)
and the exporter's VmRSS before, during and after, from /proc/PID/status. RSS must stay flat:
a scrape copies the cached snapshot, it does not build one.

    python3 bench/exporter_rss.py BIN STORE [--scrapes 1000]
"""
import argparse
import socket
import statistics
import subprocess
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def scrape(addr):
    host, port = addr.rsplit(":", 1)
    t = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n")
        n = 0
        head = b""
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            if n == 0:
                head = chunk[:12]
            n += len(chunk)
    took = time.perf_counter() - t
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"scrape failed: {head!r}")
    return took, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("store")
    ap.add_argument("--scrapes", type=int, default=1000)
    a = ap.parse_args()
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [a.bin, "exporter", "--listen", "127.0.0.1:0", "--store", a.store],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = p.stderr.readline()
        started = time.perf_counter() - t0
        addr = line.split("http://")[1].split("/")[0]
        print(f"exporter up in {started:.1f} s (scan + first render): {line.strip()}")
        # The first scrape and a moment for the watcher's setup: then the baseline.
        scrape(addr)
        time.sleep(1)
        before = rss_kib(p.pid)
        times, marks = [], []
        size = 0
        for i in range(a.scrapes):
            took, size = scrape(addr)
            times.append(took)
            if (i + 1) % (a.scrapes // 10 or 1) == 0:
                marks.append(rss_kib(p.pid))
        after = rss_kib(p.pid)
        times.sort()
        print(
            f"{a.scrapes} scrapes of {size / 1e6:.1f} MB: median {statistics.median(times) * 1e3:.1f} ms, "
            f"p95 {times[int(len(times) * 0.95) - 1] * 1e3:.1f} ms, max {times[-1] * 1e3:.1f} ms"
        )
        print(
            f"VmRSS: before {before / 1024:.1f} MiB, after {after / 1024:.1f} MiB "
            f"({(after - before) / 1024:+.1f} MiB); every {a.scrapes // 10} scrapes: "
            + " ".join(f"{m / 1024:.1f}" for m in marks)
        )
    finally:
        p.kill()
        p.wait()


if __name__ == "__main__":
    main()
