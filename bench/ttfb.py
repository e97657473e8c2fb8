#!/usr/bin/env python3
"""Time to first byte / first SSE event of a streaming chat completion, direct vs through Parapet.

usage: ttfb.py N DIRECT_URL DIRECT_MODEL PARAPET_URL PARAPET_MODEL PARAPET_KEY OUT_JSON

Each side keeps one keep-alive HTTP/1.1 connection (like an SDK client). Requests alternate
direct / Parapet so that drift on the machine affects both alike. For every request:
  ttfb_us  = send -> response headers received (curl's time_starttransfer, minus connect)
  ttfe_us  = send -> first `data:` line of the body (the first stream event)
The stream is then read to the end and must contain `data: [DONE]`.
Any non-2xx status or a stream without [DONE] is counted as an error; the caller fails on errors.
"""
import http.client
import json
import math
import sys
import time
from urllib.parse import urlsplit

WARMUP = 20


def pct(sorted_vals, p):
    """Nearest-rank percentile (p in 0..100) of an ascending list."""
    if not sorted_vals:
        return None
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals)))
    return sorted_vals[k - 1]


class Side:
    def __init__(self, url, model, key):
        u = urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path
        self.body = json.dumps({
            "model": model,
            "stream": True,
            "messages": [{"role": "user", "content": "hello"}],
        }).encode()
        self.headers = {"Content-Type": "application/json"}
        if key:
            self.headers["Authorization"] = "Bearer " + key
        self.conn = None
        self.ttfb, self.ttfe = [], []
        self.errors = []

    def one(self, record):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.connect()
        t0 = time.perf_counter_ns()
        self.conn.request("POST", self.path, body=self.body, headers=self.headers)
        resp = self.conn.getresponse()
        t_hdr = time.perf_counter_ns()
        t_evt = None
        done = False
        if resp.status // 100 != 2:
            body = resp.read()
            self.errors.append(f"status {resp.status}: {body[:200]!r}")
            self.conn.close()
            self.conn = None
            return
        while True:
            line = resp.readline()
            if not line:
                break
            if t_evt is None and line.startswith(b"data:"):
                t_evt = time.perf_counter_ns()
            if line.strip() == b"data: [DONE]":
                done = True
        if not done or t_evt is None:
            self.errors.append("stream ended without a data event or [DONE]")
        if resp.will_close:
            self.conn.close()
            self.conn = None
        if record and t_evt is not None:
            self.ttfb.append((t_hdr - t0) / 1000.0)
            self.ttfe.append((t_evt - t0) / 1000.0)

    def summary(self):
        b, e = sorted(self.ttfb), sorted(self.ttfe)
        return {
            "n": len(b),
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "ttfb_p50_us": pct(b, 50), "ttfb_p99_us": pct(b, 99),
            "ttfe_p50_us": pct(e, 50), "ttfe_p99_us": pct(e, 99),
            "ttfe_max_us": e[-1] if e else None,
        }


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    direct = Side(sys.argv[2], sys.argv[3], "")
    parapet = Side(sys.argv[4], sys.argv[5], sys.argv[6])
    for i in range(WARMUP + n):
        for side in (direct, parapet):
            side.one(record=i >= WARMUP)
    out = {"n": n, "direct": direct.summary(), "parapet": parapet.summary()}
    with open(sys.argv[7], "w") as f:
        json.dump(out, f, indent=2)
    errs = out["direct"]["errors"] + out["parapet"]["errors"]
    if errs:
        print(f"ttfb: {errs} failed streaming requests: "
              f"{direct.errors[:3] + parapet.errors[:3]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
