#!/usr/bin/env python3
"""check_trace.py TRACE.json STREAM=COUNT ... [--comm PID=NAME ...] [--span N]

Checks a `bpfreplay export --format perfetto|chrome` file the way a trace
viewer reads it (test_export runs it; exits 1 with the reason on failure):
  - it parses as JSON, with a traceEvents array;
  - each record event (cat = its stream name) appears once, and the counts
    per stream are the given ones (SQL's counts), no other stream appears;
  - ts is microseconds with the ns remainder: ts * 1000 == args.ts exactly;
    a record's pid/tid equal its args' tgid (else pid) / tid columns;
  - complete slices ("X") on each thread nest: a slice that starts inside
    another ends inside it;
  - process lifetimes ("b"/"e", cat process) alternate per pid, in time
    order, each begun one ended;
  - --comm PID=NAME: the last process_name of PID is NAME;
  - --span N: several captures in one trace: a record's pid/tid are its
    args' plus a multiple of N, and ts is on a shared wall-clock axis (not
    compared with args.ts).
Prints one line of figures on success.
"""
import collections
import decimal
import json
import sys


def fail(msg):
    print("check_trace: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    if not args:
        fail("usage: check_trace.py TRACE.json STREAM=COUNT ... [--comm PID=NAME ...]")
    path = args.pop(0)
    want, comms, span = {}, {}, None
    while args:
        a = args.pop(0)
        if a == "--span":
            span = int(args.pop(0))
        elif a == "--comm":
            pid, name = args.pop(0).split("=", 1)
            comms[int(pid)] = name
        else:
            name, n = a.rsplit("=", 1)
            want[name] = int(n)
    with open(path, "rb") as f:
        # Decimal keeps "123.456" exact: ts must carry the ns remainder
        doc = json.load(f, parse_float=decimal.Decimal)
    evs = doc.get("traceEvents")
    if not isinstance(evs, list):
        fail("no traceEvents array")

    counts = collections.Counter()
    seen = set()
    slices = collections.defaultdict(list)
    life = collections.defaultdict(list)
    pname = {}
    for e in evs:
        ph = e.get("ph")
        if ph == "M":
            if e["name"] == "process_name":
                pname[e["pid"]] = e["args"]["name"]
            continue
        if ph == "C":
            continue
        if ph in ("b", "e"):
            if e.get("cat") != "process":
                fail("async event not of cat process: %r" % e)
            life[e["id"]].append((decimal.Decimal(e["ts"]), ph))
            continue
        if ph not in ("X", "i"):
            fail("unexpected phase %r" % e)
        cat = e["cat"]
        a = e["args"]
        counts[cat] += 1
        if span is None and decimal.Decimal(e["ts"]) * 1000 != a["ts"]:
            fail("ts %s is not args.ts %s / 1000: %r" % (e["ts"], a["ts"], e))
        key = (cat, e["pid"], a["ts"], json.dumps(a, sort_keys=True, default=str))
        if key in seen:
            fail("event twice: %r" % e)
        seen.add(key)
        pid = a.get("tgid", a.get("pid"))
        if pid is not None:
            shift = (e["pid"] - pid) if span else 0
            if shift % (span or 1) or e["pid"] != pid + shift or e["tid"] != a.get("tid", pid) + shift:
                fail("pid/tid %s/%s != args %r" % (e["pid"], e["tid"], a))
        if ph == "X":
            ts = decimal.Decimal(e["ts"])
            slices[(e["pid"], e["tid"])].append((ts, ts + decimal.Decimal(e["dur"]), e))
    if dict(counts) != want:
        fail("events per stream %r, expected %r" % (dict(counts), want))

    nested = 0
    for track, sl in slices.items():
        sl.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for start, end, e in sl:
            while stack and stack[-1] <= start:
                stack.pop()
            if stack and end > stack[-1]:
                fail("slice %r ends after its parent (%s) on %r" % (e, stack[-1], track))
            nested += bool(stack)
            stack.append(end)
    for pid, marks in life.items():
        state, last = None, None
        for ts, ph in marks:                             # in file order
            if ph == state or (state is None and ph == "e") or (last is not None and ts < last):
                fail("lifetime of %s: %r" % (pid, marks))
            state, last = ph, ts
        if state != "e":
            fail("lifetime of %s not ended: %r" % (pid, marks))
    for pid, name in comms.items():
        if pname.get(pid) != name:
            fail("process_name of %d is %r, expected %r" % (pid, pname.get(pid), name))
    print("check_trace: %d events, %d record events, %d nested slices, %d lifetimes"
          % (len(evs), sum(counts.values()), nested, len(life)))


main()
