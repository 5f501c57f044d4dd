#!/usr/bin/env python3
"""entropy.py - how much information the generator's events carry: a floor
for bytes per event on disk that no lossless encoding of these events beats
by much.  Reads CSV (ts,pid,tid,comm,path_hash,op,ret,latency_ns) with a
header on stdin, prints one line.  Each field's empirical entropy given the
context a columnar encoder can see (the previous event, the same event's pid
or op); latency_ns as the entropy of its bit length plus its bits below the
leading one (noise in the low bits of a measured time)."""
import collections
import csv
import math
import sys


def h(vals):
    c = collections.Counter(vals)
    n = len(vals)
    return -sum(v / n * math.log2(v / n) for v in c.values())


def hc(xs, ys):
    """H(Y | X)"""
    pairs = list(zip(xs, ys))
    cx = collections.Counter(xs)
    cxy = collections.Counter(pairs)
    n = len(pairs)
    return max(0.0, -sum(v / n * math.log2(v / cx[x]) for (x, _), v in cxy.items()))


rows = list(csv.reader(sys.stdin))[1:]
if len(rows) < 1000:
    print("too few events to tell")
    sys.exit(0)
ts = [int(r[0]) for r in rows]
pid = [r[1] for r in rows]
op = [r[5] for r in rows]
lat = [int(r[7]) for r in rows]
parts = {
    "ts delta": h([b - a for a, b in zip(ts, ts[1:])]),
    "pid|prev": hc(pid[:-1], pid[1:]),
    "tid|pid": hc(pid, [r[2] for r in rows]),
    "comm|pid": hc(pid, [r[3] for r in rows]),
    "path|pid": hc(pid, [r[4] for r in rows]),
    "op": h(op),
    "ret|op": hc(op, [r[6] for r in rows]),
    "latency": h([x.bit_length() for x in lat]) +
    sum(max(x.bit_length() - 1, 0) for x in lat) / len(lat),
}
total = sum(parts.values())
print("~%.1f bits = %.2f bytes/event (%s; seq: 0)" % (
    total, total / 8, ", ".join("%s %.1f" % kv for kv in parts.items())))
