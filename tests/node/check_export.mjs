// check_export.mjs - reads `bpfreplay export --format parquet` output with two
// readers that no one in bpfrec wrote (DuckDB, hyparquet) and compares what
// they see with what `bpfreplay sql` says about the same captures.
//
//   node check_export.mjs [--no-row-group-test] BPFREPLAY DIR STREAM HOST=CAPNAME=CAPPATH...
//
// For each capture: the file DIR/stream=STREAM/host=HOST/date=*/part-CAPNAME.parquet
// must have, per column, the same row count, NULL count, min, max, sum
// (integers, exactly: BigInt), byte total (text) as `bpfreplay sql -o csv`,
// but for the fields a row lacks (replay/rowlacks.h: a socket's create has
// no address yet), which the export writes as NULL: those `bpfreplay show
// -o jsonl` leaves out of the row (rows matched by ts).
// Then the Hive layout across captures (GROUP BY host), and row group
// skipping on a ts range (unless --no-row-group-test: it needs three row
// groups).  Prints what differs and exits 1; 0 when all agree.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects, asyncBufferFromFile } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const argv = process.argv.slice(2);
const rowGroupTest = argv[0] !== '--no-row-group-test';
if (!rowGroupTest) argv.shift();
const [bin, dir, stream, ...caps] = argv;
let absentCells = 0;
let failures = 0;
function fail(msg) {
  console.error('MISMATCH: ' + msg);
  failures++;
}
const big = (k, v) => typeof v === 'bigint' ? String(v) : v;
function same(what, got, want) {
  const g = typeof got === 'bigint' || typeof got === 'number' ? String(got) : JSON.stringify(got, big);
  const w = typeof want === 'bigint' || typeof want === 'number' ? String(want) : JSON.stringify(want, big);
  if (g !== w) fail(`${what}: got ${g}, expected ${w}`);
}

// RFC 4180, as print.c writes it.
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false, wasQuoted = false, i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"') { quoted = true; wasQuoted = true; i++; continue; }
    if (c === ',') { row.push(wasQuoted || field !== '' ? field : null); field = ''; wasQuoted = false; i++; continue; }
    if (c === '\r') { i++; continue; }
    if (c === '\n') {
      row.push(wasQuoted || field !== '' ? field : null);
      rows.push(row); row = []; field = ''; wasQuoted = false; i++; continue;
    }
    field += c; i++;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

function isoToNs(s) {
  // 2024-05-01T12:00:01.000000700Z
  const ms = BigInt(Date.parse(s.slice(0, 19) + 'Z'));
  return ms * 1000000n + BigInt(s.slice(20, 29));
}

function byteCmp(a, b) { return Buffer.compare(Buffer.from(a), Buffer.from(b)); }

// Column summaries from plain values.  kind: int (BigInt), real, text, time.
function summarize(values, kind) {
  const s = { count: 0, nulls: 0, min: null, max: null, sum: kind === 'real' ? 0 : 0n, bytes: 0 };
  for (const v of values) {
    if (v === null || v === undefined) { s.nulls++; continue; }
    s.count++;
    if (kind === 'text') {
      s.bytes += Buffer.byteLength(v);
      if (s.min === null || byteCmp(v, s.min) < 0) s.min = v;
      if (s.max === null || byteCmp(v, s.max) > 0) s.max = v;
    } else {
      if (kind === 'real') s.sum += v; else s.sum += v;
      if (s.min === null || v < s.min) s.min = v;
      if (s.max === null || v > s.max) s.max = v;
    }
  }
  return s;
}

function compareSummary(what, got, want, kind) {
  same(`${what} non-NULL count`, got.count, want.count);
  same(`${what} NULL count`, got.nulls, want.nulls);
  if (kind === 'real') {
    if (Math.abs(got.sum - want.sum) > 1e-9 * Math.max(1, Math.abs(want.sum)))
      fail(`${what} sum: got ${got.sum}, expected ${want.sum}`);
  } else if (kind !== 'text') {
    same(`${what} sum`, got.sum, want.sum);
  } else {
    same(`${what} bytes`, got.bytes, want.bytes);
  }
  same(`${what} min`, got.min, want.min);
  same(`${what} max`, got.max, want.max);
}

function findFile(host, capname) {
  const base = `${dir}/stream=${stream}/host=${host}`;
  const dates = readdirSync(base);
  for (const d of dates) {
    const f = `${base}/${d}/part-${capname}.parquet`;
    try { readFileSync(f, { flag: 'r' }).length; return f; } catch { /* next */ }
  }
  throw new Error(`no part-${capname}.parquet under ${base}`);
}

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
async function rows(sql) { return (await con.runAndReadAll(sql)).getRows(); }
function q(s) { return "'" + s.replaceAll("'", "''") + "'"; }
function qi(s) { return '"' + s.replaceAll('"', '""') + '"'; }

const expectHosts = new Map();
for (const spec of caps) {
  const [host, capname, cap] = spec.split('=');
  const file = findFile(host, capname);
  // the truth, from bpfreplay sql
  const csv = execFileSync(bin, ['sql', '-o', 'csv', cap, `SELECT * FROM ${qi(stream)}`],
                           { encoding: 'utf8', maxBuffer: 1 << 28 });
  const table = parseCsv(csv);
  const header = table.shift();
  expectHosts.set(host, (expectHosts.get(host) || 0) + table.length);
  // the fields each row lacks, as show leaves them out of its jsonl (it
  // never shows padding: __pad columns are no row's lack)
  const shown = execFileSync(bin, ['show', '-o', 'jsonl', '-s', stream, cap],
                             { encoding: 'utf8', maxBuffer: 1 << 28 })
    .split('\n').filter(l => l).map(l => JSON.parse(l));
  same(`${capname}: rows shown`, shown.length, table.length);
  const byTs = new Map();
  for (const o of shown) {
    const k = String(o.ts);
    if (!byTs.has(k)) byTs.set(k, []);
    byTs.get(k).push(o);
  }
  const tsAt = header.indexOf('ts');
  for (const r of table) {
    const o = (byTs.get(r[tsAt]) || []).shift();
    if (!o) { fail(`${capname}: no row shown at ts ${r[tsAt]}`); continue; }
    header.forEach((col, ci) => {
      if (col === 'stream' || /^__pad|___pad/.test(col) || col in o) return;
      r[ci] = null;
      absentCells++;
    });
  }

  // column kinds from DuckDB's reading of the Parquet schema
  const desc = await rows(`DESCRIBE SELECT * FROM read_parquet(${q(file)})`);
  const types = new Map(desc.map(r => [r[0], r[1]]));
  same(`${capname}: DuckDB row count`, (await rows(`SELECT count(*) FROM read_parquet(${q(file)})`))[0][0],
       BigInt(table.length));
  const hp = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors,
                                        parsers: { timestampFromNanoseconds: ns => ns } });
  same(`${capname}: hyparquet row count`, hp.length, table.length);

  for (let ci = 0; ci < header.length; ci++) {
    const col = header[ci];
    if (col === 'stream') continue;            // in the path, not the file
    const t = types.get(col);
    if (!t) { fail(`${capname}: column ${col} missing from the Parquet file`); continue; }
    let kind = /INT/.test(t) ? 'int' : t === 'DOUBLE' ? 'real' : /TIMESTAMP/.test(t) ? 'time' : 'text';
    const unsigned = t.startsWith('U');
    const raw = table.map(r => r[ci]);
    let want;
    if (kind === 'int') {
      want = summarize(raw.map(v => {
        if (v === null) return null;
        let b = BigInt(v);
        if (unsigned && b < 0n) b += 1n << 64n;  // SQLite's INTEGER holds a u64's bits
        return b;
      }), 'int');
    } else if (kind === 'real') {
      want = summarize(raw.map(v => v === null ? null : Number(v)), 'real');
    } else if (kind === 'time') {
      want = summarize(raw.map(v => v === null ? null : isoToNs(v)), 'time');
      want.sum = 0n;
    } else {
      want = summarize(raw, 'text');
    }
    // DuckDB's own aggregates over the file
    const c = qi(col);
    const agg = kind === 'text'
      ? `count(${c}), count(*) - count(${c}), min(${c}), max(${c}), sum(strlen(${c}))`
      : kind === 'time'
        ? `count(${c}), count(*) - count(${c}), epoch_ns(min(${c})), epoch_ns(max(${c})), 0::HUGEINT`
        : `count(${c}), count(*) - count(${c}), min(${c}), max(${c}), sum(${c})`;
    const [r] = await rows(`SELECT ${agg} FROM read_parquet(${q(file)})`);
    const got = { count: Number(r[0]), nulls: Number(r[1]), min: r[2], max: r[3],
                  sum: kind === 'real' ? Number(r[4]) : BigInt(r[4] ?? 0), bytes: Number(r[4] ?? 0) };
    if (kind === 'int' || kind === 'time') {
      got.min = got.min === null ? null : BigInt(got.min);
      got.max = got.max === null ? null : BigInt(got.max);
      if (kind === 'time') got.sum = 0n;
    }
    // DuckDB reads Parquet's TIMESTAMP(NANOS, UTC) as TIMESTAMP WITH TIME
    // ZONE, which holds microseconds: its min and max are the ns cut to us
    // (hyparquet, below, reads the ns)
    const wantDuck = kind === 'time' && !/_NS/.test(t)
      ? { ...want, min: want.min === null ? null : want.min / 1000n * 1000n,
          max: want.max === null ? null : want.max / 1000n * 1000n }
      : want;
    compareSummary(`${capname}.${col} (DuckDB)`, got, wantDuck, kind);

    // hyparquet's rows
    const hv = hp.map(o => {
      const v = o[col];
      if (v === null || v === undefined) return null;
      if (kind === 'int' || kind === 'time') return BigInt(v);
      if (kind === 'real') return Number(v);
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
    const hs = summarize(hv, kind === 'time' ? 'int' : kind);
    if (kind === 'time') hs.sum = 0n;
    compareSummary(`${capname}.${col} (hyparquet)`, hs, want, kind);
  }
}

// The Hive layout: every capture's rows, grouped by the host in the path.
const glob = `${dir}/stream=${stream}/**/*.parquet`;
const byHost = await rows(`SELECT host, count(*) FROM read_parquet(${q(glob)}, hive_partitioning = true)
                           GROUP BY host ORDER BY host`);
const want = [...expectHosts.entries()].sort((a, b) => byteCmp(a[0], b[0]));
same('rows per host (hive_partitioning)', byHost.map(r => [r[0], Number(r[1])]),
     want.map(([h, n]) => [decodeURIComponent(h), n]));

// Row group skipping: DuckDB pushes the ts range into the scan, and row
// groups whose statistics exclude it are not read: wreck every data page of
// the other row groups of a copy and the ranged query still answers, while
// a full scan of the copy fails.
if (rowGroupTest) {
  const [hostSpec, capname] = caps[0].split('=');
  const file = findFile(hostSpec, capname);
  const meta = await rows(`SELECT row_group_id, min(stats_min_value::BIGINT), max(stats_max_value::BIGINT)
                           FROM parquet_metadata(${q(file)}) WHERE path_in_schema = 'ts'
                           GROUP BY row_group_id ORDER BY row_group_id`);
  if (meta.length < 3) {
    fail(`row group test: ${file} has ${meta.length} row groups (wanted >= 3: --row-group-rows)`);
  } else {
    const [, lo, hi] = meta[1];
    const sql = (f) => `SELECT count(*), sum(ts) FROM read_parquet(${q(f)}) WHERE ts BETWEEN ${lo} AND ${hi}`;
    const plan = await rows(`EXPLAIN ANALYZE ${sql(file)}`);
    const text = plan.map(r => r[1]).join('\n');
    const flat = text.replace(/[\s\u2502]/g, '');    // the box drawing wraps lines
    if (!flat.includes(`Filters:ts>=${lo}ANDts<=${hi}`))
      fail('EXPLAIN ANALYZE does not show the ts range pushed into the Parquet scan:\n' + text);
    const good = await rows(sql(file));
    const copy = `${dir}/../skip-copy.parquet`;
    copyFileSync(file, copy);
    const chunks = await rows(`SELECT row_group_id, coalesce(dictionary_page_offset, data_page_offset),
                                      total_compressed_size
                               FROM parquet_metadata(${q(file)}) WHERE row_group_id <> 1`);
    const buf = readFileSync(copy);
    for (const [, off, size] of chunks)
      for (let i = Number(off); i < Number(off) + Number(size); i++) buf[i] = 0xff;
    writeFileSync(copy, buf);
    same('ts range over a copy whose other row groups are wrecked', await rows(sql(copy)), good);
    let fullFailed = false;
    try { await rows(`SELECT sum(ts) FROM read_parquet(${q(copy)})`); } catch { fullFailed = true; }
    if (!fullFailed) fail('a full scan of the wrecked copy worked: the test cannot tell skipping');
  }
}

if (failures) {
  console.error(`${failures} mismatches`);
  process.exit(1);
}
console.log(`check_export: ${caps.length} captures agree with bpfreplay sql (DuckDB, hyparquet); ` +
            `${absentCells} fields a row lacks are NULL`);
