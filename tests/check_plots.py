#!/usr/bin/python3
"""check_plots.py PLOT_SCRIPT RESULT.json - runs scripts/plot on a result
into a scratch directory and checks that it wrote one PNG per network plus
the summary, each a non-empty, well-formed PNG of a sensible size."""
import json
import os
import struct
import subprocess
import sys
import tempfile

script, result = sys.argv[1], sys.argv[2]
with open(result) as f:
    nets = []
    for p in json.load(f)["problems"]:
        if p["net"] not in nets:
            nets.append(p["net"])
with tempfile.TemporaryDirectory() as d:
    # the script itself, so its #!/usr/bin/python3 (Debian's matplotlib)
    cmd = [script] if os.access(script, os.X_OK) else [sys.executable, script]
    out = subprocess.run(cmd + [result, "--out", d],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("FAIL: scripts/plot exited %d:\n%s" % (out.returncode,
                                                        out.stderr))
    printed = out.stdout.split()
    stem = os.path.splitext(os.path.basename(result))[0]
    want = [os.path.join(d, "%s-%s.png" % (stem, n)) for n in nets]
    want.append(os.path.join(d, "%s-summary.png" % stem))
    if sorted(printed) != sorted(want):
        sys.exit("FAIL: printed %s, expected %s" % (printed, want))
    if sorted(os.listdir(d)) != sorted(os.path.basename(w) for w in want):
        sys.exit("FAIL: wrote %s" % os.listdir(d))
    for w in want:
        with open(w, "rb") as f:
            data = f.read()
        if len(data) < 10000 or data[:8] != b"\x89PNG\r\n\x1a\n" or \
                data[12:16] != b"IHDR":
            sys.exit("FAIL: %s is not a real PNG (%d bytes)" % (w, len(data)))
        width, height = struct.unpack(">II", data[16:24])
        if width < 400 or height < 300:
            sys.exit("FAIL: %s is %dx%d" % (w, width, height))
    print("plots ok: %d PNGs for %d nets" % (len(want), len(nets)))
