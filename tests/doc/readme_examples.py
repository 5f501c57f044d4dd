#!/usr/bin/env python3
"""readme_examples.py - every code block of README.md runs as written, or
says why it cannot.

Every code block of README.md (indented by 4 spaces, or fenced with ```)
must follow one of these markers (the last line before it that is not blank):
  <!-- example -->               shell commands, each run with bash; a line
                                 ending in `\\`, or with a quote still open,
                                 continues on the next;
  <!-- example: transcript -->   `$ sqlite3` then `sqlite> ` lines, and `>>> `
                                 lines (Python): each session is run with its
                                 lines as input;
  <!-- example-skip: REASON -->  not run here, for REASON (counted and printed).
A block with no marker fails the test, so a new example cannot slip past.

Each block runs in a scratch directory of its own, where, as in the README:
  - `bpfrec` and `bpfreplay` are this build's (on PATH), and `build` is
    the build directory (`build/recorder/bpfrec`, `build/replay/...`);
  - `sudo` runs its command (the test is root);
  - `CAP` and `/tmp/cap` name the block's capture: a copy of one the test
    records with the built-in probes, removed before a command that records
    into it (the README's recording lines are alternatives);
  - `./app` and `./client` (tests/doc/app.c: open files, a refused
    connect, connect to the server, read its answer) and `./server` (tests/doc/server.c: answers on
    127.0.0.1:8080 for a second) are built by the test, and one more server
    runs in the background for the whole test (`curl
    http://127.0.0.1:8080/`, `pidof -s server`);
  - `Makefile` builds a small program (`make -j2`); `mytool.bpf.o` is the
    project's test object tests/bpf/objs/uexec.bpf.c (it has `target_pid`);
  - `cmake --install` installs into the scratch directory (DESTDIR);
  - `/srv/bpfrec` is the block's `srv/bpfrec`, whose `caps` holds two
    bundles of the capture, `web1.bpfrec` and `web2.bpfrec` (also in the
    block's directory).
Each command must exit 0, what its comment or the text says it makes must be
there (CHECKS: the events it records, the files it writes), and a transcript's session must write nothing on
stderr (in a sanitizer build transcripts are not run: an ASan-built
extension cannot load into the stock shells).  Exit 77 (skipped) when not
root, 1 when a block is unmarked, whoever runs it.

    readme_examples.py SOURCE_DIR BUILD_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

RUN = "<!-- example -->"
TRANSCRIPT = "<!-- example: transcript -->"
SKIP = re.compile(r"<!-- example-skip: (\S.*\S) -->$")
MIN_RUN = 10            # fewer blocks run: markers were lost, and the README could drift

MAKEFILE = "hello: hello.c\n\t$(CC) -O2 -o $@ hello.c\n"
HELLO = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n'


def code_blocks(lines):
    """[(first line number, marker line or None, [lines])] of every code block."""
    out = []
    i = 0
    prev = ""           # the last non-blank line before i
    prev_blank = True
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            start = i + 1
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            out.append((start + 1, prev.strip(), body))
            i += 1
            prev, prev_blank = "```", False
            continue
        if line.startswith("    ") and line.strip() and prev_blank:
            start = i + 1
            body = []
            # a markdown code block goes on across blank lines while the
            # next non-blank line is indented by 4
            while i < len(lines):
                if lines[i].startswith("    "):
                    body.append(lines[i][4:])
                elif not lines[i].strip():
                    j = i
                    while j < len(lines) and not lines[j].strip():
                        j += 1
                    if j < len(lines) and lines[j].startswith("    "):
                        body.extend([""] * (j - i))
                        i = j
                        continue
                    break
                else:
                    break
                i += 1
            out.append((start, prev.strip(), body))
            prev, prev_blank = body[-1], False
            continue
        if line.strip():
            prev = line
            prev_blank = False
        else:
            prev_blank = True
        i += 1
    return out


def commands(start, body):
    """[(line, command)] of a shell block; exits on a command left open."""
    cmds, cur, cur_line = [], "", start
    for k, text in enumerate(body):
        if not cur and (not text.strip() or text.lstrip().startswith("#")):
            continue
        if not cur:
            cur_line = start + k
        cur = cur + "\n" + text if cur else text
        if cur.endswith("\\") or open_quote(cur):
            continue
        cmds.append((cur_line, cur))
        cur = ""
    if cur:
        sys.exit(f"README.md:{cur_line}: an example ends inside a command: {cur!r}")
    return cmds


def sessions(start, body):
    """[(line, program, input)] of a transcript block."""
    out = []
    for k, text in enumerate(body):
        if text.startswith("$ "):
            out.append([start + k, text[2:].split(), []])
        elif text.startswith("sqlite> ") and out and out[-1][1][0] == "sqlite3":
            out[-1][2].append(text[len("sqlite> "):])
        elif text.startswith(">>> "):
            if not out or out[-1][1][0] != "python3":
                out.append([start + k, ["python3"], []])
            out[-1][2].append(text[4:])
        elif text.strip():
            sys.exit(f"README.md:{start + k}: a transcript line that is neither "
                     f"`$ `, `sqlite> ` nor `>>> `: {text!r}")
    return out


def open_quote(s):
    """True if a ' or " is still open (a # comment outside quotes ends the line)."""
    q = None
    for ch in s:
        if q:
            if ch == q:
                q = None
        elif ch in "'\"":
            q = ch
        elif ch == "#":
            return False
    return q is not None


# What the README says a command does, checked after it ran (each check must
# match a command of the README, or the test fails: a check cannot go dead).
# A check gets the block's directory, its capture and the command's stdout,
# and returns what is wrong, or None.
BPFREPLAY = "bpfreplay"   # this build's, set by main()


def sql_count(cap, query):
    r = subprocess.run([BPFREPLAY, "sql", cap, "-o", "csv", query], capture_output=True,
                       text=True, timeout=60)
    if r.returncode:
        return -1
    return int(r.stdout.split()[-1])


def need_rows(query, what):
    def check(work, cap, out):
        n = sql_count(cap, query)
        return None if n > 0 else f"{what}: `{query}` gave {n}"
    return check


def need_file(name, what, test):
    def check(work, cap, out):
        try:
            with open(os.path.join(work, name), "rb") as f:
                data = f.read()
        except OSError as e:
            return f"{what}: {e}"
        return None if test(data) else f"{what}: {name} does not look like one"
    return check


def folded(work, cap, out):
    lines = [l for l in out.split("\n") if l]
    bad = [l for l in lines if not re.fullmatch(r"\S.* [0-9]+", l)]
    if not lines or bad:
        return f"folded stacks (FRAME;FRAME COUNT): {len(lines)} lines, first bad: {bad[:1]}"
    return None


def jsonl(work, cap, out):
    lines = [l for l in out.split("\n") if l]
    try:
        for l in lines:
            json.loads(l)
    except ValueError as e:
        return f"JSON Lines: {e}"
    return None


def installed(work, cap, out):
    root = os.path.join(work, "destdir", "usr", "local")
    missing = [f for f in ("bin/bpfrec", "bin/bpfreplay", "lib/bpfrec/libbpfrec_sqlite.so",
                           "include/bpfrec/bpfrec.h", "share/man/man1/bpfrec.1",
                           "share/man/man1/bpfreplay.1", "share/man/man5/bpfrec-format.5",
                           "share/bash-completion/completions/bpfrec",
                           "share/bash-completion/completions/bpfreplay")
               if not os.path.exists(os.path.join(root, f))]
    return f"not installed under --prefix /usr/local: {missing}" if missing else None


def parquet_tree(work, cap, out):
    """The layout the README shows: stream=S/host=H/date=D/part-CAPTURE.parquet."""
    pq = os.path.join(work, "srv", "bpfrec", "pq")
    shape = re.compile(r"stream=[^/]+/host=[^/]+/date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[^/]+\.parquet")
    files = [os.path.relpath(os.path.join(d, f), pq) for d, _, fs in os.walk(pq) for f in fs]
    bad = [f for f in files if not shape.fullmatch(f)]
    for capture in ("web1", "web2"):
        if not any(f.startswith("stream=exec/") and f.endswith(f"/part-{capture}.parquet")
                   for f in files):
            bad.append(f"no stream=exec/.../part-{capture}.parquet")
    return f"Parquet files not as shown: {bad[:3]}" if bad else None


def lines_naming(words, what):
    def check(work, cap, out):
        missing = [w for w in words if not re.search(rf"\b{w}\b", out)]
        return f"{what}: {missing} not in the output" if missing else None
    return check


CHECKS = [
    (r"cmake --install build --prefix /usr/local", installed),
    (r"bpfrec probes", lines_naming(["exec", "exit", "connect", "sock", "profile"],
                                    "the built-in probes")),
    (r"bpfrec list sched:sched_process_exec",
     lines_naming(["filename", "pid", "old_pid"], "the tracepoint's fields")),
    (r"record -o /tmp/cap -- curl", need_rows(
        "SELECT count(*) FROM connect WHERE comm = 'curl' AND port = 8080",
        "curl's connection to the server")),
    (r"-e sched:sched_switch .* -- make -j2", need_rows(
        "SELECT count(*) FROM sched_switch", "make's context switches")),
    (r"--syscalls 'openat,connect,read\*' -- \./app", need_rows(
        "SELECT count(*) FROM syscalls WHERE syscall = 'openat' AND errno = 'ENOENT' AND "
        "path = '/nonexistent/app.conf'", "./app's failed openat")),
    (r"--syscalls 'openat,connect,read\*' -- \./app", need_rows(
        "SELECT count(*) FROM syscalls WHERE syscall = 'connect' AND port = 8080",
        "./app's connect")),
    (r"--bpf mytool\.bpf\.o", need_rows(
        "SELECT count(*) FROM objects WHERE path LIKE '%mytool.bpf.o'", "the object")),
    (r"-g --probe connect -- \./client", need_rows(
        "SELECT count(*) FROM connect WHERE port = 8080 AND ustack_id IS NOT NULL",
        "./client's connect with its stack")),
    (r"--probe profile:999 -- \./server", need_rows(
        "SELECT count(*) FROM profile", "./server's samples")),
    (r"bpfreplay flame /tmp/cap > cap\.folded",
     lambda work, cap, out: folded(work, cap, open(os.path.join(work, "cap.folded")).read())),
    (r"--svg -o cap\.svg", need_file("cap.svg", "an SVG", lambda d: b"<svg" in d[:200])),
    (r"-o jsonl", jsonl),
    (r"-o trace\.json", need_file("trace.json", "a trace event JSON",
                                  lambda d: isinstance(json.loads(d).get("traceEvents"), list))),
    (r"-o report\.html", need_file("report.html", "an HTML page",
                                   lambda d: d.lstrip()[:15].lower() == b"<!doctype html>")),
    (r"export /srv/bpfrec/caps --format parquet -o /srv/bpfrec/pq", parquet_tree),
    (r"bpfreplay sql web1\.bpfrec web2\.bpfrec", lines_naming(["web1", "web2"],
                                                            "a row per capture")),
    (r"-o bug-1234\.bpfrec", need_file("bug-1234.bpfrec", "a bundle (SQLite file)",
                                       lambda d: d.startswith(b"SQLite format 3\0"))),
]


def records_into_cap(cmd):
    return re.search(r"\brecord\b", cmd) and re.search(r"-o (/tmp/cap|CAP)\b", cmd)


class Harness:
    def __init__(self, src, build, top):
        self.src, self.build, self.top = src, build, top
        self.bindir = os.path.join(top, "bin")
        self.progs = os.path.join(top, "progs")
        self.cap = os.path.join(top, "cap")
        self.env = None
        self.server = None
        self.checked = set()

    def setup(self):
        os.makedirs(self.bindir)
        os.makedirs(self.progs)
        for name, target in (("bpfrec", "recorder/bpfrec"), ("bpfreplay", "replay/bpfreplay")):
            os.symlink(os.path.join(self.build, target), os.path.join(self.bindir, name))
        with open(os.path.join(self.bindir, "sudo"), "w") as f:
            f.write('#!/bin/sh\nexec "$@"\n')
        os.chmod(os.path.join(self.bindir, "sudo"), 0o755)
        for prog, source in (("app", "app.c"), ("client", "app.c"), ("server", "server.c")):
            subprocess.run(["cc", "-O2", "-o", os.path.join(self.progs, prog),
                            os.path.join(self.src, "tests", "doc", source)], check=True)
        self.env = dict(os.environ, PATH=self.bindir + ":" + os.environ.get("PATH", ""))
        self.env.pop("NO_COLOR", None)
        self.server = subprocess.Popen([os.path.join(self.progs, "server")], cwd=self.top,
                                       env=dict(self.env, SERVER_SECONDS="300"))
        rec = subprocess.run([os.path.join(self.build, "recorder", "bpfrec"), "record", "-q",
                              "-o", self.cap, "--probe", "exec,exit,connect", "--",
                              os.path.join(self.progs, "app")],
                             capture_output=True, text=True, timeout=60)
        if rec.returncode:
            raise RuntimeError(f"recording the capture failed ({rec.returncode}): {rec.stderr}")
        for name in ("web1.bpfrec", "web2.bpfrec"):
            b = subprocess.run([BPFREPLAY, "bundle", self.cap, "-o", os.path.join(self.top, name)],
                               capture_output=True, text=True, timeout=60)
            if b.returncode:
                raise RuntimeError(f"bundling the capture failed ({b.returncode}): {b.stderr}")

    def workdir(self, n):
        work = os.path.join(self.top, f"block{n}")
        os.makedirs(work)
        os.symlink(self.build, os.path.join(work, "build"))
        for prog in ("app", "client", "server"):
            shutil.copy(os.path.join(self.progs, prog), work)
        with open(os.path.join(work, "Makefile"), "w") as f:
            f.write(MAKEFILE)
        with open(os.path.join(work, "hello.c"), "w") as f:
            f.write(HELLO)
        shutil.copy(os.path.join(self.build, "tests", "bpf", "uexec.bpf.o"),
                    os.path.join(work, "mytool.bpf.o"))
        shutil.copytree(self.cap, os.path.join(work, "cap"), symlinks=True)
        # the collector's captures: two bundles, in /srv/bpfrec/caps and here
        caps = os.path.join(work, "srv", "bpfrec", "caps")
        os.makedirs(caps)
        for name in ("web1.bpfrec", "web2.bpfrec"):
            shutil.copy(os.path.join(self.top, name), caps)
            shutil.copy(os.path.join(self.top, name), work)
        return work

    def run_shell(self, work, line, cmd):
        cap = os.path.join(work, "cap")
        if records_into_cap(cmd):
            shutil.rmtree(cap, ignore_errors=True)
        run = re.sub(r"\bCAP\b", cap, cmd).replace("/tmp/cap", cap)
        run = run.replace("/srv/bpfrec", os.path.join(work, "srv", "bpfrec"))
        r = subprocess.run(["bash", "-c", run], cwd=work, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL,
                           env=dict(self.env, DESTDIR=os.path.join(work, "destdir")))
        if r.returncode:
            return f"README.md:{line}: exit {r.returncode}: {cmd}\n{r.stderr[-2000:]}"
        for k, (pattern, check) in enumerate(CHECKS):
            if re.search(pattern, cmd):
                self.checked.add(k)
                try:
                    err = check(work, cap, r.stdout)
                except (OSError, ValueError) as e:
                    err = str(e)
                if err:
                    return f"README.md:{line}: {cmd}\n  ran, but {err}"
        return None

    def run_session(self, work, line, argv, lines):
        cap = os.path.join(work, "cap")
        text = "\n".join(lines).replace("/tmp/cap", cap) + "\n"
        if argv[0] == "python3":
            # Debian's python3 (its sqlite3 module can load extensions)
            argv = ["/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3",
                    "-"]
        r = subprocess.run(argv, cwd=work, input=text, capture_output=True, text=True,
                           timeout=60, env=self.env)
        if r.returncode or r.stderr:
            return (f"README.md:{line}: exit {r.returncode}: {' '.join(argv)} with "
                    f"{len(lines)} lines of input\n{r.stderr[-2000:]}")
        return None

    def stop(self):
        if self.server:
            self.server.kill()
            self.server.wait()


def main():
    global BPFREPLAY
    src, build = sys.argv[1], os.path.abspath(sys.argv[2])
    BPFREPLAY = os.path.join(build, "replay", "bpfreplay")
    lines = open(os.path.join(src, "README.md"), encoding="utf-8").read().split("\n")
    found = code_blocks(lines)
    bad = [(line, body) for line, marker, body in found
           if marker not in (RUN, TRANSCRIPT) and not SKIP.match(marker or "")]
    for line, body in bad:
        print(f"README.md:{line}: a code block without {RUN}, {TRANSCRIPT} or "
              f"<!-- example-skip: REASON --> before it: {body[0]!r}", file=sys.stderr)
    nrun = sum(1 for _, marker, _ in found if marker in (RUN, TRANSCRIPT))
    if nrun < MIN_RUN:
        print(f"README.md: {nrun} blocks marked to run, expected at least {MIN_RUN}",
              file=sys.stderr)
        return 1
    if os.geteuid() != 0:
        if bad:
            return 1
        print("SKIPPED: needs root to record the captures the examples read", file=sys.stderr)
        return 77
    try:
        with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as f:
            sanitized = "BPFREC_SANITIZE:BOOL=ON" in f.read()
    except OSError:
        sanitized = False
    t0 = time.monotonic()
    top = tempfile.mkdtemp(prefix="readme-")
    h = Harness(src, build, top)
    failed = ncmds = nskip = nblocks = 0
    try:
        h.setup()
        for n, (start, marker, body) in enumerate(found):
            m = SKIP.match(marker or "")
            if m:
                nskip += 1
                print(f"README.md:{start}: not run: {m.group(1)}")
                continue
            if marker not in (RUN, TRANSCRIPT):
                continue
            if marker == TRANSCRIPT and sanitized:
                nskip += 1
                print(f"README.md:{start}: not run in a sanitizer build: an ASan-built "
                      "extension cannot load into the stock sqlite3 and python3")
                continue
            nblocks += 1
            work = h.workdir(n)
            if marker == RUN:
                steps = [(line, cmd, None) for line, cmd in commands(start, body)]
            else:
                steps = [(line, argv, inp) for line, argv, inp in sessions(start, body)]
            if not steps:
                print(f"README.md:{start}: a block marked to run has nothing to run",
                      file=sys.stderr)
                failed += 1
            for line, what, inp in steps:
                ncmds += 1
                err = (h.run_shell(work, line, what) if inp is None
                       else h.run_session(work, line, what, inp))
                if err:
                    failed += 1
                    print(err, file=sys.stderr)
        for k, (pattern, _) in enumerate(CHECKS):
            if k not in h.checked:
                failed += 1
                print(f"a check matches no command of the README that ran: {pattern}",
                      file=sys.stderr)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        h.stop()
        shutil.rmtree(top, ignore_errors=True)
    print(f"readme_examples: {ncmds} commands in {nblocks} blocks run, {len(h.checked)} "
          f"checks of what they make, {failed} failed; "
          f"{nskip} blocks not run (reasons above); {len(bad)} blocks unmarked; "
          f"{time.monotonic() - t0:.1f} s")
    return 1 if failed or bad else 0


if __name__ == "__main__":
    sys.exit(main())
