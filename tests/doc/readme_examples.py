#!/usr/bin/env python3
"""readme_examples.py - every example block of README.md runs as written.

A block is an example when the line before it is `<!-- example -->`: an
indented (4-space) block whose lines are shell commands; a line ending in
`\\`, or with a quote still open, continues on the next.  The test records a
small capture with the built-in probes (as root), then runs each command
with bash, each block in a fresh scratch directory of its own, where, as in the README:
  - `bpfreplay` and `bpfrec` are this build's (on PATH), and so are
    `build/recorder/bpfrec` and `build/replay/bpfreplay` (relative paths);
  - `sudo` runs its command (the test is root);
  - the placeholder `CAP` and the path `/tmp/cap` name the capture.
Each command must exit 0.  Exit 77 (skipped) when not root.

    readme_examples.py SOURCE_DIR BUILD_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

MARK = "<!-- example -->"
MIN_BLOCKS = 4          # fewer: the markers were lost, and the README could drift


def blocks(readme):
    lines = open(readme, encoding="utf-8").read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != MARK:
            i += 1
            continue
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        start = i + 1
        cmds, cur = [], ""
        while i < len(lines) and (lines[i].startswith("    ") or
                                  (cur and lines[i].strip())):
            text = lines[i][4:] if lines[i].startswith("    ") else lines[i]
            cur = cur + "\n" + text if cur else text
            if cur.endswith("\\") or open_quote(cur):
                i += 1
                continue
            cmds.append((start, cur))
            cur = ""
            i += 1
            start = i + 1
        if cur:
            sys.exit(f"README.md:{start}: an example ends inside a command: {cur!r}")
        if not cmds:
            sys.exit(f"README.md:{start}: {MARK} is not followed by an indented block")
        out.append(cmds)
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


def main():
    src, build = sys.argv[1], os.path.abspath(sys.argv[2])
    if os.geteuid() != 0:
        print("SKIPPED: needs root to record the capture the examples read", file=sys.stderr)
        return 77
    found = blocks(os.path.join(src, "README.md"))
    if len(found) < MIN_BLOCKS:
        print(f"README.md: {len(found)} blocks marked {MARK}, expected at least {MIN_BLOCKS}",
              file=sys.stderr)
        return 1
    bpfrec = os.path.join(build, "recorder", "bpfrec")
    bpfreplay = os.path.join(build, "replay", "bpfreplay")
    top = tempfile.mkdtemp(prefix="readme-")
    try:
        bindir = os.path.join(top, "bin")
        os.makedirs(bindir)
        for name, target in (("bpfrec", bpfrec), ("bpfreplay", bpfreplay)):
            os.symlink(target, os.path.join(bindir, name))
        with open(os.path.join(bindir, "sudo"), "w") as f:
            f.write('#!/bin/sh\nexec "$@"\n')
        os.chmod(os.path.join(bindir, "sudo"), 0o755)
        cap = os.path.join(top, "cap")
        rec = subprocess.run([bpfrec, "record", "-q", "-o", cap, "--probe", "exec,exit,connect",
                              "--", "sh", "-c", "ls / >/dev/null; true"],
                             capture_output=True, text=True, timeout=60)
        if rec.returncode:
            print(f"recording the capture failed ({rec.returncode}): {rec.stderr}",
                  file=sys.stderr)
            return 1
        env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", ""))
        env.pop("NO_COLOR", None)
        failed = 0
        ncmds = 0
        for n, cmds in enumerate(found):
            # one directory per block: its commands follow each other there
            work = os.path.join(top, f"block{n}")
            os.makedirs(os.path.join(work, "build", "recorder"))
            os.makedirs(os.path.join(work, "build", "replay"))
            os.symlink(bpfrec, os.path.join(work, "build", "recorder", "bpfrec"))
            os.symlink(bpfreplay, os.path.join(work, "build", "replay", "bpfreplay"))
            for line, cmd in cmds:
                ncmds += 1
                run = re.sub(r"\bCAP\b", cap, cmd).replace("/tmp/cap", cap)
                r = subprocess.run(["bash", "-c", run], cwd=work, env=env, capture_output=True,
                                   text=True, timeout=60, stdin=subprocess.DEVNULL)
                if r.returncode:
                    failed += 1
                    print(f"README.md:{line}: exit {r.returncode}: {cmd}\n{r.stderr[-2000:]}",
                          file=sys.stderr)
        print(f"readme_examples: {ncmds} commands in {len(found)} blocks, {failed} failed")
        return 1 if failed else 0
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
