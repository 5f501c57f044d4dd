-- index.sql - the SQLite index of a bpfrec capture (CAPTURE/index.db).
-- bpfrec runs exactly this text when it creates a capture (it is compiled in);
-- schema/FORMAT.md explains every column.  Times are nanoseconds of the
-- kernel's CLOCK_BOOTTIME unless a name says otherwise ("_real_": CLOCK_REALTIME).
-- Integers wider than 63 bits never occur here.

-- Key/value facts about the file itself; 'format_version' is checked on open.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per recording session (a capture made by bpfrec has exactly one).
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    host            TEXT NOT NULL,
    kernel_release  TEXT NOT NULL,
    boot_id         TEXT NOT NULL,
    cmdline         TEXT NOT NULL,      -- the bpfrec command line
    tool_version    TEXT NOT NULL,
    clock_boot_ns   INTEGER NOT NULL,   -- CLOCK_BOOTTIME sampled at ...
    clock_real_ns   INTEGER NOT NULL,   -- ... this CLOCK_REALTIME
    start_ns        INTEGER NOT NULL,
    end_ns          INTEGER             -- NULL until the recorder finishes
);

-- The BPF objects recorded, each with its BTF (raw .BTF section bytes).
CREATE TABLE objects (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL,               -- "exec" for a built-in probe, file name otherwise
    path  TEXT,                        -- the .bpf.o given, NULL for built-ins
    btf   BLOB
);

-- One row per BPF ringbuf or perf event array drained.
CREATE TABLE streams (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,    -- table name in bpfreplay sql
    kind       TEXT NOT NULL CHECK (kind IN ('ringbuf', 'perf', 'snapshot')),
    object_id  INTEGER NOT NULL REFERENCES objects(id),
    map_name   TEXT NOT NULL,
    type_name  TEXT,                    -- event struct in the object's BTF; NULL: raw bytes
    type_id    INTEGER NOT NULL DEFAULT 0,
    ts_offset  INTEGER NOT NULL DEFAULT -1  -- offset of the event's own u64 timestamp, -1: none
);

CREATE TABLE segments (
    id     INTEGER PRIMARY KEY,
    file   TEXT NOT NULL UNIQUE,        -- a plain file name inside the capture directory
    bytes  INTEGER NOT NULL DEFAULT 0   -- bytes of blocks indexed so far
);

-- One row per block: where it is, what it holds.  min/max_ts bound every
-- record in the block (records are not sorted inside or across blocks).
CREATE TABLE blocks (
    id          INTEGER PRIMARY KEY,
    segment_id  INTEGER NOT NULL REFERENCES segments(id),
    offset      INTEGER NOT NULL,       -- byte offset of the block header
    enc_bytes   INTEGER NOT NULL,       -- header + zstd frame
    raw_bytes   INTEGER NOT NULL,       -- decoded size
    nrecords    INTEGER NOT NULL,
    min_ts      INTEGER NOT NULL,
    max_ts      INTEGER NOT NULL
);
CREATE INDEX blocks_by_time ON blocks (min_ts, max_ts);

-- Records per stream in each block, for counts and for skipping blocks.
CREATE TABLE block_streams (
    block_id   INTEGER NOT NULL REFERENCES blocks(id),
    stream_id  INTEGER NOT NULL REFERENCES streams(id),
    nrecords   INTEGER NOT NULL,
    min_ts     INTEGER NOT NULL,
    max_ts     INTEGER NOT NULL,
    PRIMARY KEY (stream_id, block_id)
) WITHOUT ROWID;

-- Events lost: failed ringbuf reserves counted by the probe, perf's lost
-- samples.  One row per report (stream, cpu, time), count > 0.
CREATE TABLE losses (
    id         INTEGER PRIMARY KEY,
    stream_id  INTEGER NOT NULL REFERENCES streams(id),
    cpu        INTEGER,                 -- NULL when the source does not say
    ts         INTEGER NOT NULL,
    count      INTEGER NOT NULL
);
