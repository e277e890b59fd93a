#!/usr/bin/python3
"""check_gbench_json.py FILE - the JSON Google Benchmark wrote for
test_gbench_shim (--benchmark_out=FILE --benchmark_out_format=json): it
parses, and the C callbacks' counters, label, arguments, manual time and
error reached it with the right values."""
import json
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


with open(sys.argv[1]) as f:
    d = json.load(f)
if "context" not in d or "benchmarks" not in d:
    fail("no context / benchmarks")
runs = {b["name"]: b for b in d["benchmarks"]}
names = sorted(runs)
saxpy = runs.get("shim/saxpy/4096")
manual = runs.get("shim/manual/iterations:7/manual_time")
failing = runs.get("shim/failing")
if not saxpy or not manual or not failing:
    fail("missing benchmarks; got %s" % names)

# saxpy: plain counters verbatim, the rate = 2n FLOPs / CPU time
for k, v in (("%peak", 12.5), ("ratio", 0.5), ("error", 1e-7)):
    if k not in saxpy or abs(saxpy[k] - v) > 1e-12 * max(1, abs(v)):
        fail("saxpy counter %s = %s, expected %s" % (k, saxpy.get(k), v))
if saxpy.get("label") != "c-callback":
    fail("saxpy label %r" % saxpy.get("label"))
if saxpy.get("time_unit") != "us":
    fail("saxpy unit %r" % saxpy.get("time_unit"))
cpu_s = saxpy["cpu_time"] * 1e-6          # per iteration, in seconds
expect = 2 * 4096 * 1e-9 / cpu_s
if not saxpy["iterations"] >= 1 or abs(saxpy["GFLOP/s"] / expect - 1) > 0.01:
    fail("saxpy GFLOP/s %g, expected 2n / cpu_time = %g"
         % (saxpy["GFLOP/s"], expect))

# manual time: 7 iterations of exactly 1 ms; value*iters/iters = 3
if manual["iterations"] != 7:
    fail("manual iterations %s" % manual["iterations"])
if manual.get("time_unit") != "ms" or abs(manual["real_time"] - 1.0) > 1e-9:
    fail("manual real_time %s %s, expected 1 ms"
         % (manual["real_time"], manual.get("time_unit")))
if abs(manual.get("per_iter", 0) - 3.0) > 1e-12:
    fail("manual per_iter %s" % manual.get("per_iter"))

# the error
if not failing.get("error_occurred") or \
        failing.get("error_message") != "skipped on purpose":
    fail("failing: %s" % failing)
print("gbench JSON ok: %d benchmarks, counters, label, manual time, error"
      % len(runs))
