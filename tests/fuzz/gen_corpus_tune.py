#!/usr/bin/env python3
# gen_corpus_tune.py - writes the seed corpus of fuzz_tune_cache.c into
# tests/fuzz/corpus_tune/ (run from the repository root:
#   python3 tests/fuzz/gen_corpus_tune.py
# ). The files are committed; rerun only to change them. zlib.crc32 is the
# CRC-32 of dispatch/tune_cache.c.
import os
import zlib

HDR = "# vconv tuning cache v1\n"
PROB = "mb1_g1ic8oc8_ih10oh10kh3sh1ph1_iw10ow10kw3sw1pw1 nchw"


def line(key, impl, ns):
    rest = "%s\t%s\t%d" % (key, impl, ns)
    return "%08x\t%s" % (zlib.crc32(rest.encode()) & 0xffffffff, rest)


def key(cpu="AMD EPYC", mask="300077ff", threads=1, prob=PROB,
        cands="ref.scalar"):
    return "%s\t%s\t0.1.0\t%d\t%s\t%s" % (cpu, mask, threads, prob, cands)


good = line(key(), "ref.scalar", 12345)
seeds = {
    "empty": "",
    "header": HDR,
    "one": HDR + good + "\n",
    "two": HDR + good + "\n" + line(key(threads=2), "ref.scalar", 99) + "\n",
    "dup": HDR + line(key(), "direct.avx512", 1) + "\n" + good + "\n",
    "unknown_impl": HDR + line(key(), "nosuch.scalar", 1) + "\n",
    "avx512_impl": HDR + line(key(cands="direct.avx512,ref.scalar"),
                              "direct.avx512", 1) + "\n",
    "neon_impl": HDR + line(key(cands="direct.neon,ref.scalar"),
                            "direct.neon", 1) + "\n",
    "truncated": HDR + good[:-7],
    "badcrc": HDR + good.replace("EPYC", "EPYD") + "\n",
    "comment": HDR + "# note\n\n" + good + "\n",
    "v2": "# vconv tuning cache v2\n" + good + "\n",
    "notours": "hello world\n" + good + "\n",
    "crlf": HDR + good + "\r\n",
    "fields": HDR + line("a\tb\tc", "x.y", 1) + "\n",
    "long": HDR + line(key(cpu="C" * 90), "ref.scalar", 1) + "\n",
    "bigns": HDR + line(key(), "ref.scalar", 10 ** 15) + "\n",
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_tune")
os.makedirs(out, exist_ok=True)
for name, text in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(text.encode())
with open(os.path.join(out, "binary"), "wb") as f:
    f.write(HDR.encode() + bytes((i * 37 + 11) & 255 for i in range(300)))
