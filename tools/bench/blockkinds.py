#!/usr/bin/env python3
"""blockkinds.py CAPTURE - the generator's blocks by kind, for run.sh.

Prints one line of key=value pairs:
  blocks, fast_blocks            blocks in the index, and of them fast ones
  compact_bpe, fast_bpe          block bytes per event of each kind ("-": none)
  fast_bytes, fast_events        the fast blocks' bytes and events

A fast block (bpfrec record --fast-blocks: the writers were behind) is
told by its body encoding (byte 6 of its header, schema/FORMAT.md): fast
blocks are encoding 1, and compact blocks are encoding 7 or 8 (8 chained;
before the ts modes, the generator's always had dictionary columns, so
they were encoding 3 to 6: 4 and 6 chained, 5 and 6 with escaped codes).
"""
import os
import sqlite3
import sys


def main():
    cap = sys.argv[1]
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(cap, "index.db"), uri=True)
    files = dict(db.execute("SELECT id, file FROM segments"))
    kinds = {"compact": [0, 0, 0], "fast": [0, 0, 0]}   # blocks, bytes, events
    handles = {}
    for seg, off, enc_bytes, nrec in db.execute(
            "SELECT segment_id, offset, enc_bytes, nrecords FROM blocks"):
        name = files.get(seg)
        if name is None or "/" in name:
            continue
        f = handles.get(seg)
        if f is None:
            f = handles[seg] = open(os.path.join(cap, name), "rb")
        f.seek(off + 6)
        hdr = f.read(2)
        if len(hdr) < 2:
            continue
        k = kinds["fast" if hdr[0] | hdr[1] << 8 == 1 else "compact"]
        k[0] += 1
        k[1] += enc_bytes
        k[2] += nrec
    for f in handles.values():
        f.close()

    def bpe(k):
        return "%.3f" % (k[1] / k[2]) if k[2] else "-"

    print("blocks=%d fast_blocks=%d compact_bpe=%s fast_bpe=%s fast_bytes=%d fast_events=%d" % (
        kinds["compact"][0] + kinds["fast"][0], kinds["fast"][0],
        bpe(kinds["compact"]), bpe(kinds["fast"]), kinds["fast"][1], kinds["fast"][2]))


if __name__ == "__main__":
    main()
