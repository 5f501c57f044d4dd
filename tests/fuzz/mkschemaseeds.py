#!/usr/bin/env python3
"""tests/fuzz/mkschemaseeds.py - seeds of fuzz_schema: an index of the fuzz
segment (fuzz_index's fix-fuzzcap-alpha.db) as it is, and with each payload
of tests/unit/test_hostile.c written into its schema or rows: SQL in
declared types and column names, stream names with SQL and terminal
escapes, virtual tables however CREATE VIRTUAL is spelled, generated
columns, a view, a trigger, an expression index.  Payloads name relative
files (canary.db), which fuzz_schema watches for.

    tests/fuzz/mkschemaseeds.py        (run by tests/fuzz/mkcorpus.sh)
"""
import os
import shutil
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "corpus", "fuzz_index", "fix-fuzzcap-alpha.db")
OUT = os.path.join(HERE, "corpus", "fuzz_schema")
PAYLOAD = "VACUUM INTO 'canary.db'; ATTACH 'attach.db' AS pwn; CREATE TABLE pwn.t(x); --"


def retype(table, old, new):
    """Edits a table's DDL text in place (types and names are text only)."""
    return ("PRAGMA writable_schema = ON",
            ("UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE name = ?", (old, new, table)),
            "PRAGMA writable_schema = OFF")


SEEDS = {
    "plain": (),
    "type-sessions": retype("sessions", "host            TEXT", 'host "TEXT); %s"' % PAYLOAD),
    "type-streams": retype("streams", "kind       TEXT", 'kind "TEXT); %s"' % PAYLOAD),
    "name-sessions": retype("sessions", "boot_id         TEXT",
                            '"boot_id"" TEXT); %s" TEXT' % PAYLOAD),
    "stream-sql": (("UPDATE streams SET name = ? WHERE id = 1",
                    ('x"(y); VACUUM INTO \'canary.db\'; --',)),),
    "stream-escape": ("UPDATE streams SET name = 'e' || char(27) || ']0;t' || char(7) WHERE id = 1",),
    "vt-comment": ("DROP TABLE meta",
                   "CREATE/**/VIRTUAL TABLE meta USING fts4(key, value)",
                   "INSERT INTO meta VALUES ('format_version', '1')"),
    "generated": ("ALTER TABLE sessions ADD COLUMN pad TEXT GENERATED ALWAYS AS"
                  " (hex(zeroblob(1000000))) VIRTUAL",),
    "view": ("ALTER TABLE streams RENAME TO s_old",
             "CREATE VIEW streams AS SELECT * FROM s_old"),
    "trigger": ("CREATE TRIGGER t AFTER INSERT ON blocks BEGIN SELECT 1; END",),
    "expr-index": ("CREATE INDEX evil ON blocks (length(hex(offset)))",),
    # the programs, stream_loss and loss_windows tables (the base predates
    # them), with terminal escapes, made-up words and a window backwards
    "programs": (("SCRIPT", "programs"), "PRAGMA ignore_check_constraints = ON",
                 ("INSERT INTO programs VALUES (1, 1, ?, 'tp/a/b', 'tracepoint', 'attached',"
                  " ?, NULL, 1)", ("p" + chr(27) + "]0;t" + chr(7), PAYLOAD)),
                 "INSERT INTO programs VALUES (2, 99, 'x', 'uprobe', 'kprobe', 'pwned', NULL,"
                 " 'why', 77)",
                 "INSERT INTO stream_loss VALUES (1, 'unobservable', 4096)",
                 "INSERT INTO stream_loss VALUES (2, 'perf', -1)",
                 "INSERT INTO loss_windows VALUES (1, 1, 2000000000, 1999999999, 4096)",
                 "INSERT INTO loss_windows VALUES (2, 1, -5, 9223372036854775807, -1)"),
    # the user and group names (the base predates them): terminal escapes,
    # invalid UTF-8, a bidi override, a NUL, a blob, an overlong name,
    # ids out of range (FORMAT.md "User and group names")
    "idnames": (("SCRIPT", "users"),
                ("INSERT INTO users VALUES (1000, ?)", ("e" + chr(27) + "]0;t" + chr(7),)),
                "INSERT INTO users VALUES (1001, CAST(X'62C3' AS TEXT))",
                "INSERT INTO users VALUES (1002, 'a' || char(8238) || 'b')",
                "INSERT INTO users VALUES (1003, CAST(X'610062' AS TEXT))",
                "INSERT INTO users VALUES (1004, X'626f62')",
                "INSERT INTO users VALUES (1005, hex(zeroblob(200)))",
                "INSERT INTO users VALUES (-1, 'neg')",
                "INSERT INTO users VALUES (4294967295, 'none')",
                "INSERT INTO users VALUES (9223372036854775807, 'huge')",
                "INSERT INTO users VALUES (0, 'root')",
                ("INSERT INTO groups VALUES (27, ?)", (PAYLOAD,)),
                "INSERT INTO groups VALUES (28, 'wheel')"),
}


def index_sql_from(table):
    """The DDL of index.sql from CREATE TABLE table to its end (the tables
    newer than an old base index, which are the last ones), for those the
    base lacks (a base made by today's fuzz_mkseeds has them all)."""
    with open(os.path.join(HERE, "..", "..", "schema", "index.sql")) as f:
        text = f.read()
    text = text[text.index("CREATE TABLE " + table + " ("):]
    return (text.replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ")
            .replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS "))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, steps in SEEDS.items():
        path = os.path.join(OUT, name + ".db")
        shutil.copyfile(BASE, path)
        con = sqlite3.connect(path, isolation_level=None)
        for step in steps:
            if isinstance(step, tuple) and step[0] == "SCRIPT":
                con.executescript(index_sql_from(step[1]))
            elif isinstance(step, tuple):
                con.execute(*step)
            else:
                con.execute(step)
        con.close()


if __name__ == "__main__":
    main()
