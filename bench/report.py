#!/usr/bin/env python3
"""Parses the raw outputs of bench/run, checks them, prints the table and writes the JSON.

usage: report.py check-wrk FILE LABEL      fail (exit 1) on any error/non-2xx in one wrk run
       report.py report RUN_DIR OUT_JSON    table on stdout, figures as JSON

Targets are DESIGN.md §13.
"""
import json
import os
import re
import sys

TARGETS = {
    "added_p50_ms": 0.25,
    "added_p99_ms": 1.0,
    "throughput_ratio_pct": 40.0,
    "rss_idle_mib": 30.0,
    "rss_load_mib": 48.0,
}


def die(msg):
    print("\n" + "!" * 72, file=sys.stderr)
    print(f"BENCH FAILED: {msg}", file=sys.stderr)
    print("!" * 72, file=sys.stderr)
    sys.exit(1)


def parse_wrk(path):
    """The BENCH_RESULT line of chat.lua's done(), plus wrk's own error lines as a cross-check."""
    text = open(path).read()
    m = re.search(r"^BENCH_RESULT (\{.*\})$", text, re.M)
    if not m:
        die(f"{path}: no BENCH_RESULT line (wrk failed?):\n{text}")
    r = json.loads(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    r["non2xx_text"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["socket_errors_text"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"^BENCH_CPU (\{.*\})$", text, re.M)
    r["cpu_pct"] = json.loads(m.group(1)) if m else None
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
    return r


def wrk_problems(r):
    e = r["errors"]
    probs = []
    if r["requests"] == 0:
        probs.append("no request completed")
    if e["status"] or r["non2xx_text"]:
        probs.append(f"{max(e['status'], r['non2xx_text'])} non-2xx responses")
    for k in ("connect", "read", "write", "timeout"):
        if e[k]:
            probs.append(f"{e[k]} socket {k} errors")
    return probs


def check_wrk(path, label):
    r = parse_wrk(path)
    probs = wrk_problems(r)
    if probs:
        die(f"wrk {label}: " + "; ".join(probs) + f"\n--- {path} ---\n" + open(path).read())
    print(f"  {label}: {r['requests']} requests, {r['rps']:.0f} req/s, "
          f"p50 {r['p50_us'] / 1000:.3f} ms, p99 {r['p99_us'] / 1000:.3f} ms, 0 errors" +
          (f"; CPU parapet {r['cpu_pct']['parapet_pct']:.0f} %, mock {r['cpu_pct']['mock_pct']:.0f} %"
           + (f", redis {r['cpu_pct']['redis_pct']:.0f} %" if r["cpu_pct"].get("redis_pct") else "")
           if r["cpu_pct"] else ""))


def parse_metrics(path):
    """parapet_requests_total by status, and client disconnects, from the Prometheus text."""
    by_status, disconnects, found = {}, 0.0, False
    if not os.path.exists(path):
        return None
    for line in open(path):
        if line.startswith("#"):
            continue
        m = re.match(r"^(\w+)(\{[^}]*\})?\s+([0-9.eE+-]+)", line)
        if not m:
            continue
        name, labels, val = m.group(1), m.group(2) or "", float(m.group(3))
        if name == "parapet_requests_total":
            found = True
            lm = dict(re.findall(r'(\w+)="([^"]*)"', labels))
            if lm.get("listener", "proxy") != "proxy":
                continue
            st = lm.get("status", "?")
            by_status[st] = by_status.get(st, 0) + val
        elif name == "parapet_client_disconnects_total":
            disconnects += val
    if not found:
        return None
    return {"requests_by_status": {k: int(v) for k, v in sorted(by_status.items())},
            "client_disconnects": int(disconnects)}


def verdict(ok):
    return "PASS" if ok else "MISS"


def report(run_dir, out_json):
    j = lambda name: os.path.join(run_dir, name)  # noqa: E731
    d1, p1 = parse_wrk(j("wrk-direct-c1.txt")), parse_wrk(j("wrk-parapet-c1.txt"))
    d64, p64 = parse_wrk(j("wrk-direct-c64.txt")), parse_wrk(j("wrk-parapet-c64.txt"))
    ttfb = json.load(open(j("ttfb.json")))
    meta = json.load(open(j("meta.json")))
    metrics = parse_metrics(j("metrics.txt"))

    ms = lambda us: us / 1000.0  # noqa: E731
    lat = {
        "direct_p50_ms": ms(d1["p50_us"]), "direct_p99_ms": ms(d1["p99_us"]),
        "parapet_p50_ms": ms(p1["p50_us"]), "parapet_p99_ms": ms(p1["p99_us"]),
    }
    lat["added_p50_ms"] = lat["parapet_p50_ms"] - lat["direct_p50_ms"]
    lat["added_p99_ms"] = lat["parapet_p99_ms"] - lat["direct_p99_ms"]
    thr = {"direct_rps": d64["rps"], "parapet_rps": p64["rps"]}
    thr["ratio_pct"] = 100.0 * thr["parapet_rps"] / thr["direct_rps"] if thr["direct_rps"] else 0.0
    td, tp = ttfb["direct"], ttfb["parapet"]
    st = {}
    for kind in ("ttfb", "ttfe"):
        for p in ("p50", "p99"):
            st[f"{kind}_direct_{p}_ms"] = ms(td[f"{kind}_{p}_us"])
            st[f"{kind}_parapet_{p}_ms"] = ms(tp[f"{kind}_{p}_us"])
            st[f"{kind}_added_{p}_ms"] = st[f"{kind}_parapet_{p}_ms"] - st[f"{kind}_direct_{p}_ms"]
    rss = {k: v / 1024.0 for k, v in meta["rss_kib"].items()}  # KiB -> MiB
    rss_load = max(rss["after_c64"], rss["peak_hwm"])

    checks = {
        "added_p50": lat["added_p50_ms"] <= TARGETS["added_p50_ms"],
        "added_p99": lat["added_p99_ms"] <= TARGETS["added_p99_ms"],
        "throughput": thr["ratio_pct"] >= TARGETS["throughput_ratio_pct"],
        "ttfb_added_p50": st["ttfb_added_p50_ms"] <= TARGETS["added_p50_ms"],
        "ttfb_added_p99": st["ttfb_added_p99_ms"] <= TARGETS["added_p99_ms"],
        "ttfe_added_p50": st["ttfe_added_p50_ms"] <= TARGETS["added_p50_ms"],
        "ttfe_added_p99": st["ttfe_added_p99_ms"] <= TARGETS["added_p99_ms"],
        "rss_idle": rss["idle"] <= TARGETS["rss_idle_mib"],
        "rss_load": rss_load <= TARGETS["rss_load_mib"],
    }

    rows = [
        ("Non-streaming latency, 1 connection (wrk -t1 -c1)", None),
        ("  p50 (ms)", (f"{lat['direct_p50_ms']:.3f}", f"{lat['parapet_p50_ms']:.3f}",
                        f"{lat['added_p50_ms']:+.3f}", "added <= 0.25", verdict(checks["added_p50"]))),
        ("  p99 (ms)", (f"{lat['direct_p99_ms']:.3f}", f"{lat['parapet_p99_ms']:.3f}",
                        f"{lat['added_p99_ms']:+.3f}", "added <= 1.00", verdict(checks["added_p99"]))),
        ("Throughput, 64 connections (wrk -t2 -c64)", None),
        ("  req/s", (f"{thr['direct_rps']:.0f}", f"{thr['parapet_rps']:.0f}",
                     f"{thr['ratio_pct']:.1f} %", ">= 40 % of direct", verdict(checks["throughput"]))),
        (f"Streaming, 1 connection (N={ttfb['n']})", None),
        ("  first byte p50 (ms)", (f"{st['ttfb_direct_p50_ms']:.3f}", f"{st['ttfb_parapet_p50_ms']:.3f}",
                                   f"{st['ttfb_added_p50_ms']:+.3f}", "added <= 0.25",
                                   verdict(checks["ttfb_added_p50"]))),
        ("  first byte p99 (ms)", (f"{st['ttfb_direct_p99_ms']:.3f}", f"{st['ttfb_parapet_p99_ms']:.3f}",
                                   f"{st['ttfb_added_p99_ms']:+.3f}", "added <= 1.00",
                                   verdict(checks["ttfb_added_p99"]))),
        ("  first event p50 (ms)", (f"{st['ttfe_direct_p50_ms']:.3f}", f"{st['ttfe_parapet_p50_ms']:.3f}",
                                    f"{st['ttfe_added_p50_ms']:+.3f}", "added <= 0.25",
                                    verdict(checks["ttfe_added_p50"]))),
        ("  first event p99 (ms)", (f"{st['ttfe_direct_p99_ms']:.3f}", f"{st['ttfe_parapet_p99_ms']:.3f}",
                                    f"{st['ttfe_added_p99_ms']:+.3f}", "added <= 1.00",
                                    verdict(checks["ttfe_added_p99"]))),
        ("Parapet RSS (VmRSS / VmHWM)", None),
        ("  idle, after start (MiB)", ("", f"{rss['idle']:.1f}", "", "<= 30", verdict(checks["rss_idle"]))),
        ("  after 64-conn run (MiB)", ("", f"{rss['after_c64']:.1f}", "", "<= 48",
                                       verdict(rss["after_c64"] <= TARGETS["rss_load_mib"]))),
        ("  peak, VmHWM (MiB)", ("", f"{rss['peak_hwm']:.1f}", "", "<= 48",
                                 verdict(rss["peak_hwm"] <= TARGETS["rss_load_mib"]))),
    ]
    hdr = ("", "direct", "parapet", "added", "target", "result")
    w = (44, 10, 10, 10, 19, 6)
    line = lambda cells: "  ".join(  # noqa: E731
        (c.ljust(w[i]) if i in (0, 4) else c.rjust(w[i])) for i, c in enumerate(cells)).rstrip()
    print()
    print(f"Parapet benchmark ({meta.get('store', 'embedded')} store): {meta['cpus']} CPUs ({meta['cpu_model']}), "
          f"{meta['seconds']} s per wrk run, HEAD {meta['commit']}, parapet binary of "
          f"{meta.get('parapet_binary', {}).get('mtime', '?')}")
    print(line(hdr))
    print("-" * (sum(w) + 2 * (len(w) - 1)))
    for label, cells in rows:
        print(label if cells is None else line((label,) + cells))
    misses = [k for k, ok in checks.items() if not ok]
    print()
    if metrics:
        print(f"Parapet proxy responses by status (metrics): {metrics['requests_by_status']}, "
              f"client disconnects: {metrics['client_disconnects']}")
    print(f"CPU during the 64-connection runs (% of one core): direct: mock "
          f"{d64['cpu_pct']['mock_pct']:.0f}; through Parapet: parapet {p64['cpu_pct']['parapet_pct']:.0f}, "
          f"mock {p64['cpu_pct']['mock_pct']:.0f}"
          + (f", redis {p64['cpu_pct']['redis_pct']:.0f}" if p64["cpu_pct"].get("redis_pct") else "")
          if d64["cpu_pct"] and p64["cpu_pct"] else "")
    where = "Redis used_memory" if meta.get("store") == "redis" else "redb data dir on disk"
    print(f"Store after the run: {meta.get('store_bytes_after', 0) / 2**20:.1f} MiB ({where})")
    if meta.get("cpu_busy_before_pct", 0) > 10:
        print(f"WARNING: the machine was {meta['cpu_busy_before_pct']}% busy before the run "
              f"(load {meta['loadavg_before']}): other work skews these figures")
    print(f"Targets: {len(checks) - len(misses)}/{len(checks)} met" +
          (f"; MISS: {', '.join(misses)}" if misses else ""))

    out = {
        "meta": meta,
        "targets": TARGETS,
        "latency_c1": lat,
        "throughput_c64": thr,
        "stream_c1": st,
        "rss_mib": {**rss, "load": rss_load},
        "checks": {k: verdict(v) for k, v in checks.items()},
        "misses": misses,
        "parapet_metrics": metrics,
        "raw": {"wrk_direct_c1": d1, "wrk_parapet_c1": p1, "wrk_direct_c64": d64,
                "wrk_parapet_c64": p64, "ttfb": ttfb},
    }
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    with open(out_json, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"JSON: {out_json}")
    return misses


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "check-wrk":
        check_wrk(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        misses = report(sys.argv[2], sys.argv[3])
        if misses and os.environ.get("BENCH_STRICT") == "1":
            sys.exit(2)
    elif len(sys.argv) == 3 and sys.argv[1] == "check-metrics":
        m = parse_metrics(sys.argv[2])
        if m is None:
            print("  (no parapet_requests_total in /metrics; skipped status check)")
            return
        bad = {k: v for k, v in m["requests_by_status"].items() if not k.startswith("2")}
        if bad:
            die(f"Parapet answered non-2xx responses (from /metrics): {bad}")
        print(f"  Parapet /metrics: proxy responses by status {m['requests_by_status']}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
