// duckq.mjs - one query in DuckDB (the npm package tools/setup.sh installs
// into tests/node) over a Parquet export, for tools/bench/export/parquet.sh.
//
//   node duckq.mjs ROOT 'SQL'      (ROOT: the project, for tests/node)
//
// Prints the rows as CSV, then "# ms N" (best of 3 runs, each on a fresh
// connection; the first run also pays for reading the footers).
import { createRequire } from 'node:module';

const [root, sql] = process.argv.slice(2);
const require = createRequire(`${root}/tests/node/`);
const { DuckDBInstance } = require('@duckdb/node-api');
const db = await DuckDBInstance.create(':memory:');
let best = Infinity, rows;
for (let i = 0; i < 3; i++) {
  const con = await db.connect();
  const t0 = process.hrtime.bigint();
  rows = (await con.runAndReadAll(sql)).getRows();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (ms < best) best = ms;
}
for (const r of rows) console.log(r.map(v => String(v)).join(','));
console.log(`# ms ${best.toFixed(1)}`);
