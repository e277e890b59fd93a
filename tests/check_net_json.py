#!/usr/bin/python3
"""check_net_json.py RESULT.json RESULT.csv - a `vconv-bench net` result:
the JSON parses and follows its schema (every net with both end-to-end
times, its speed-up = oneDNN / vconv, layers with a kind and positive
times where the net has the step), the geomean is the geomean of the
nets' speed-ups, and the CSV carries the same nets, layers and times."""
import csv
import json
import math
import sys

js, cs = sys.argv[1], sys.argv[2]
with open(js) as f:
    d = json.load(f)
fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)
    return cond


check(d.get("schema") == "vconv-bench-net/1", "schema %r" % d.get("schema"))
st = d.get("settings", {})
for k in ("mb", "threads", "samples", "cpu", "isa"):
    check(k in st, "settings lack %s" % k)
nets = d.get("nets", [])
check(len(nets) >= 1, "no nets")
logs = []
for n in nets:
    check(n["vconv_ms"] > 0, "%s: vconv_ms %r" % (n["net"], n["vconv_ms"]))
    if n["onednn_ms"] > 0:
        check(abs(n["speedup"] - n["onednn_ms"] / n["vconv_ms"]) <
              1e-4 * n["speedup"] + 1e-9, "%s: speedup" % n["net"])
        logs.append(math.log(n["speedup"]))
        check(n["max_rel_diff"] < 1e-3, "%s: outputs differ" % n["net"])
    names = [l["name"] for l in n["layers"]]
    check(len(names) == len(set(names)), "%s: duplicate layers" % n["net"])
    check(any(l["kind"] == "conv" for l in n["layers"]), "%s: no conv")
    for l in n["layers"]:
        check(l["kind"] in ("conv", "pool", "fc", "lrn", "relu", "softmax",
                            "reorder"), "%s: kind %r" % (l["name"], l["kind"]))
        check(l["vconv_ms"] > 0 or l["onednn_ms"] > 0,
              "%s:%s has no time" % (n["net"], l["name"]))
        if l["vconv_impl"]:
            check(l["vconv_ms"] > 0, "%s:%s vconv time" % (n["net"],
                                                           l["name"]))
if logs:
    g = math.exp(sum(logs) / len(logs))
    check(abs(g - d["geomean_speedup"]) < 1e-4 * g, "geomean %r != %r"
          % (d["geomean_speedup"], g))
with open(cs) as f:
    rows = list(csv.DictReader(f))
for n in nets:
    mine = [r for r in rows if r["net"] == n["net"]]
    tot = [r for r in mine if r["layer"] == "total"]
    if check(len(tot) == 1, "%s: CSV total rows %d" % (n["net"], len(tot))):
        check(abs(float(tot[0]["vconv_ms"]) - n["vconv_ms"]) < 1e-5,
              "%s: CSV total differs" % n["net"])
    check(len(mine) == len(n["layers"]) + 1, "%s: CSV has %d rows, JSON %d "
          "layers" % (n["net"], len(mine), len(n["layers"])))
    for r, l in zip(mine[1:], n["layers"]):
        check(r["layer"] == l["name"] and
              abs(float(r["vconv_ms"]) - l["vconv_ms"]) < 1e-5,
              "%s: CSV row %s != JSON %s" % (n["net"], r["layer"], l["name"]))
if fails:
    sys.exit("FAIL:\n  " + "\n  ".join(fails))
print("net JSON ok: %d nets, %d CSV rows" % (len(nets), len(rows)))
