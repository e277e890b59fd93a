#!/usr/bin/python3
"""check_conv_json.py CONV_JSON [GBENCH_JSON [CSV]] - checks what
`vconv-bench conv --json` wrote against the schema of the README, and that
its figures are consistent with one another: GFLOP/s = flops / median,
% of peak = GFLOP/s / the machine's measured peak for the row's ISA and
thread count, ratio = the peer's median / the row's, min <= median <= max,
the summary's geomeans = the geomean of the per-layer ratios. With
GBENCH_JSON (--benchmark_out of the same run): every competitor's counters
reached Google Benchmark's report with the same values. With CSV (--csv of
the same run): one row per result with the same medians."""
import csv
import json
import math
import sys

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def close(a, b, rel=2e-5):
    return a is not None and b is not None and abs(a - b) <= rel * max(
        abs(a), abs(b), 1e-300)


with open(sys.argv[1]) as f:
    d = json.load(f)

for k in ("schema", "vconv_version", "command", "date", "host", "machine",
          "settings", "competitors", "problems", "summary", "losses"):
    check(k in d, "missing top-level key %r" % k)
check(d.get("schema") == "vconv-bench-conv/1", "schema %r" % d.get("schema"))
m = d["machine"]
for k in ("cpu", "isa_mask", "isa_flags", "best_isa", "cores", "peaks",
          "bandwidth"):
    check(k in m, "machine lacks %r" % k)
check(m["isa_mask"].startswith("0x"), "isa_mask %r" % m["isa_mask"])
peaks = {}
for p in m["peaks"]:
    check(p["gflops"] > 0 and p["threads"] >= 1, "bad peak %s" % p)
    peaks[(p["isa"], p["threads"])] = p["gflops"]
check(("scalar", 1) in peaks, "no scalar 1-thread peak")
check(all(b["gbs"] > 0 for b in m["bandwidth"]) and m["bandwidth"],
      "bandwidth %s" % m["bandwidth"])
s = d["settings"]
for k in ("threads", "mb", "relu", "impl", "peers", "source", "quick",
          "timer", "min_time_s", "sample_s", "warmup_s", "error_measure",
          "onednn", "xnnpack"):
    check(k in s, "settings lack %r" % k)
threads = s["threads"]
labels = [c["label"] for c in d["competitors"]]
kinds = {c["label"]: c["kind"] for c in d["competitors"]}
check(len(set(labels)) == len(labels), "duplicate competitors %s" % labels)
check(len(d["problems"]) >= 1, "no problems")

ratios = {}  # (net, label, peer) -> [ratio]
nresults = 0
for pb in d["problems"]:
    name = pb["name"]
    for k in ("net", "desc", "mb", "g", "ic", "ih", "iw", "oc", "oh", "ow",
              "kh", "kw", "sh", "sw", "dh", "dw", "pad", "relu", "flops",
              "bytes", "intensity", "rounds", "results"):
        check(k in pb, "%s lacks %r" % (name, k))
    flops = 2.0 * pb["mb"] * pb["oc"] * pb["oh"] * pb["ow"] * \
        (pb["ic"] // pb["g"]) * pb["kh"] * pb["kw"]
    check(close(pb["flops"], flops), "%s: flops %s != %s"
          % (name, pb["flops"], flops))
    check(close(pb["intensity"], pb["flops"] / pb["bytes"]),
          "%s: intensity" % name)
    ok = {r["competitor"]: r for r in pb["results"] if r["status"] == "ok"}
    for r in pb["results"]:
        nresults += 1
        lb = r["competitor"]
        check(lb in labels, "%s: unknown competitor %r" % (name, lb))
        check(r["kind"] == kinds.get(lb), "%s/%s: kind" % (name, lb))
        check(r["status"] in ("ok", "skipped", "failed"),
              "%s/%s: status %r" % (name, lb, r["status"]))
        if r["status"] != "ok":
            check(r.get("reason"), "%s/%s: no reason" % (name, lb))
            continue
        t = r["time_s"]
        check(0 < t["min"] <= t["median"] <= t["max"],
              "%s/%s: times %s" % (name, lb, t))
        check(r["samples"] >= 1 and r["calls_per_sample"] >= 1,
              "%s/%s: samples" % (name, lb))
        check(close(r["gflops"], pb["flops"] / t["median"] * 1e-9, 1e-5),
              "%s/%s: gflops %s vs flops/median" % (name, lb, r["gflops"]))
        pk = peaks.get((r["isa"], threads))
        if check(pk, "%s/%s: no peak for %s at %d threads"
                 % (name, lb, r["isa"], threads)):
            check(close(r["pct_peak"], 100 * r["gflops"] / pk, 1e-3),
                  "%s/%s: pct_peak %s" % (name, lb, r["pct_peak"]))
        for peer, x in r["ratio"].items():
            check(peer in ok, "%s/%s: ratio to %s which did not run"
                  % (name, lb, peer))
            if peer in ok:
                check(close(x, ok[peer]["time_s"]["median"] / t["median"],
                            1e-4), "%s/%s: ratio %s" % (name, lb, peer))
                ratios.setdefault((pb["net"], lb, peer), []).append(x)
        check(r["error"] is not None and 0 <= r["error"] < 1e-3,
              "%s/%s: error %s (the computations differ)"
              % (name, lb, r["error"]))

for sm in d["summary"]:
    for peer, g in sm["geomean_ratio"].items():
        xs = ratios.get((sm["net"], sm["competitor"], peer), [])
        if check(xs, "summary %s without ratios" % sm):
            gm = math.exp(sum(math.log(x) for x in xs) / len(xs))
            check(close(g, gm, 1e-4), "summary %s/%s/%s: %s != %s"
                  % (sm["net"], sm["competitor"], peer, g, gm))

if len(sys.argv) > 2:
    with open(sys.argv[2]) as f:
        gb = json.load(f)
    runs = {b["name"]: b for b in gb["benchmarks"]}
    for pb in d["problems"]:
        b = runs.get("conv/%s/manual_time" % pb["name"])
        if not check(b, "Google Benchmark has no conv/%s (has %s)"
                     % (pb["name"], sorted(runs))):
            continue
        for r in pb["results"]:
            if r["status"] != "ok":
                continue
            lb = r["competitor"]
            check(close(b.get(lb + ":ms"), r["time_s"]["median"] * 1e3),
                  "%s: counter %s:ms %s" % (pb["name"], lb, b.get(lb + ":ms")))
            check(close(b.get(lb + ":GFLOP/s"), r["gflops"]),
                  "%s: counter %s:GFLOP/s" % (pb["name"], lb))
            check(close(b.get(lb + ":%peak"), r["pct_peak"]),
                  "%s: counter %s:%%peak" % (pb["name"], lb))
            check(close(b.get(lb + ":err"), r["error"]),
                  "%s: counter %s:err" % (pb["name"], lb))
            for peer, x in r["ratio"].items():
                check(close(b.get("%s:x_%s" % (lb, peer)), x),
                      "%s: counter %s:x_%s" % (pb["name"], lb, peer))

if len(sys.argv) > 3:
    with open(sys.argv[3], newline="") as f:
        rows = list(csv.DictReader(f))
    check(len(rows) == nresults, "CSV has %d rows, JSON %d results"
          % (len(rows), nresults))
    byk = {(r["problem"], r["competitor"]): r for r in rows}
    for pb in d["problems"]:
        for r in pb["results"]:
            row = byk.get((pb["name"], r["competitor"]))
            if check(row, "CSV lacks %s/%s" % (pb["name"], r["competitor"])) \
                    and r["status"] == "ok":
                check(close(float(row["time_median_s"]),
                            r["time_s"]["median"]),
                      "CSV median of %s/%s" % (pb["name"], r["competitor"]))

if errors:
    for e in errors[:30]:
        print("FAIL:", e)
    sys.exit(1)
print("conv JSON ok: %d problems, %d results, %d competitors"
      % (len(d["problems"]), nresults, len(labels)))
