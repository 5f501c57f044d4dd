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

-- Call stacks and what names their functions (bpfrec record -g, --probe
-- profile; FORMAT.md "Stacks and symbols").  Written at the end of the
-- recording; captures made without stacks, or before these tables existed,
-- have them empty or not at all.  Addresses are u64: a kernel address above
-- 2^63 is stored as the INTEGER with the same 64 bits (negative).

-- One row per distinct stack.
CREATE TABLE stack_traces (
    id      INTEGER PRIMARY KEY,     -- what bpfrec_ustack_id / bpfrec_kstack_id members hold
    kind    TEXT NOT NULL CHECK (kind IN ('user', 'kernel')),
    frames  BLOB NOT NULL            -- u64 little-endian addresses, innermost first
);

-- The processes a user stack was seen in (its addresses are theirs).
CREATE TABLE stack_pids (
    stack_id  INTEGER NOT NULL REFERENCES stack_traces(id),
    pid       INTEGER NOT NULL,
    PRIMARY KEY (stack_id, pid)
) WITHOUT ROWID;

-- Files and kernel images whose code the stacks ran.
CREATE TABLE sym_files (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('elf', 'kernel', 'module', 'perfmap', 'special')),
    path      TEXT NOT NULL,         -- as mapped; [kernel.kallsyms], [MODULE], [vdso], [anon]
    build_id  TEXT,                  -- hex; NULL: none (path and size then identify the file)
    size      INTEGER,               -- bytes of the file, NULL if unknown
    pid       INTEGER,               -- perfmap: the process it describes
    symbols   TEXT NOT NULL          -- copied | none | left out | unreadable: REASON
);

-- The executable mappings of the processes in stack_pids (/proc/PID/maps,
-- read while they ran).
CREATE TABLE proc_maps (
    pid          INTEGER NOT NULL,
    start_addr   INTEGER NOT NULL,
    end_addr     INTEGER NOT NULL,   -- exclusive
    file_offset  INTEGER NOT NULL,   -- of start_addr in the file
    file_id      INTEGER NOT NULL REFERENCES sym_files(id)
);
CREATE INDEX proc_maps_by_pid ON proc_maps (pid, start_addr);

-- The function symbols that recorded addresses fall in (only those).
CREATE TABLE symbols (
    file_id  INTEGER NOT NULL REFERENCES sym_files(id),
    addr     INTEGER NOT NULL,       -- elf: file offset of the first byte; others: address
    size     INTEGER NOT NULL,       -- bytes, > 0
    name     TEXT NOT NULL,
    PRIMARY KEY (file_id, addr)
) WITHOUT ROWID;

-- The line table rows (DWARF .debug_line) that recorded addresses fall in
-- (only those), of elf files with debug info.
CREATE TABLE lines (
    file_id  INTEGER NOT NULL REFERENCES sym_files(id),
    addr     INTEGER NOT NULL,       -- file offset of the row's first instruction
    size     INTEGER NOT NULL,       -- bytes up to the next row, > 0
    line     INTEGER NOT NULL,       -- 1-based
    src      TEXT NOT NULL,          -- the source file's path as the DWARF names it
    PRIMARY KEY (file_id, addr)
) WITHOUT ROWID;

-- The BPF programs of each object and what became of each: attached (and
-- where), loaded only (SEC("syscall"): run on demand) or skipped (and why).
-- Written at the end of the recording (FORMAT.md "Programs and loss");
-- captures made before this table existed have none.
CREATE TABLE programs (
    id         INTEGER PRIMARY KEY,
    object_id  INTEGER NOT NULL REFERENCES objects(id),
    name       TEXT NOT NULL,           -- the program's function name
    section    TEXT NOT NULL,           -- its SEC()
    type       TEXT NOT NULL,           -- libbpf's name of its program type
    state      TEXT NOT NULL CHECK (state IN ('attached', 'loaded', 'skipped')),
    target     TEXT,                    -- where it attached (attached only)
    reason     TEXT,                    -- why it was skipped (skipped only)
    stream_id  INTEGER REFERENCES streams(id)  -- the stream it writes, NULL: none known
);

-- How each ringbuf's and perf array's losses are known: 'perf' (perf's own
-- lost-sample records), 'rewrite' (bpfrec counted every failed ringbuf
-- call), 'program' (the program counts them, bpfrec_count_lost), or
-- 'unobservable' (some or all failures cannot be counted: the losses rows
-- are a lower bound, and loss_windows says when loss was possible).  A
-- stream without a row: not known (older captures, snapshots).
CREATE TABLE stream_loss (
    stream_id   INTEGER PRIMARY KEY REFERENCES streams(id),
    method      TEXT NOT NULL CHECK (method IN ('perf', 'rewrite', 'program', 'unobservable')),
    ring_bytes  INTEGER                 -- a ringbuf's size, NULL otherwise
);

-- Times a ringbuf whose loss is unobservable was nearly full (its unread
-- bytes at or above 3/4 of its size when the drain looked): events may
-- have been lost then, and only then.
CREATE TABLE loss_windows (
    id          INTEGER PRIMARY KEY,
    stream_id   INTEGER NOT NULL REFERENCES streams(id),
    start_ns    INTEGER NOT NULL,       -- first look that saw it nearly full
    end_ns      INTEGER NOT NULL,       -- first look after that saw it below
    peak_bytes  INTEGER NOT NULL        -- the most unread bytes seen
);

-- The recording host's user and group names (its NSS databases: files,
-- LDAP, ...), read when the recording starts and again at its end, so that
-- a reader prints uid=1000(alice) with the names of the machine that
-- recorded, not of the one that reads (FORMAT.md "User and group names").
-- At most 65536 rows each per read (meta 'users_truncated' /
-- 'groups_truncated' = '1' when the host had more); captures made before
-- these tables existed have none, and print numbers.
CREATE TABLE users (
    uid   INTEGER PRIMARY KEY,          -- 0 .. 2^32 - 2
    name  TEXT NOT NULL                 -- the host's name for it
);
CREATE TABLE groups (
    gid   INTEGER PRIMARY KEY,
    name  TEXT NOT NULL
);
