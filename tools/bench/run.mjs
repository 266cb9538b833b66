#!/usr/bin/env node
// `npm run bench [-- --quick] [-- scenario…]`: builds the services, then runs every scenario in
// tools/bench/scenarios (or the named ones) on the embedded PostgreSQL and, when
// BENCH_DATABASE_URL is set, again on that PostgreSQL server. Each scenario prints its details;
// the run ends with ONE summary table: every measure, its ratio (or ms / MiB), the goal, met or
// not. Nothing here asserts timings: these are measurements, not tests.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORES, createContext, pinLoadGenerator, ROOT } from './lib/context.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const wanted = args.filter((arg) => !arg.startsWith('--'));

if (!args.includes('--no-build')) {
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const dir = join(import.meta.dirname, 'scenarios');
const scenarios = readdirSync(dir)
  .filter((file) => file.endsWith('.mjs'))
  .filter((file) => wanted.length === 0 || wanted.includes(file.replace(/\.mjs$/, '')))
  .sort();
// BENCH_ONLY=postgres (or embedded) runs one pass: for looking at one database's numbers, never for the record.
const only = process.env.BENCH_ONLY;
if (only && !['embedded', 'postgres'].includes(only)) {
  console.error(`BENCH_ONLY is embedded or postgres, not ${JSON.stringify(only)}`);
  process.exit(2);
}
if (only === 'postgres' && !process.env.BENCH_DATABASE_URL) {
  console.error('BENCH_ONLY=postgres needs BENCH_DATABASE_URL');
  process.exit(2);
}
const databases = ['embedded', ...(process.env.BENCH_DATABASE_URL ? ['postgres'] : [])].filter((database) => !only || database === only);

pinLoadGenerator();
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
console.log(`Keyhaven benchmarks (${quick ? 'quick' : 'full'}; databases: ${databases.join(', ')}; node ${process.version})`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${CORES.describe}; load average at start ${load()}`);

const results = [];
let failed = 0;
for (const database of databases) {
  for (const file of scenarios) {
    const module = await import(pathToFileURL(join(dir, file)).href);
    const ctx = createContext({ quick, database, results });
    const started = performance.now();
    console.log(`\n# ${file.replace(/\.mjs$/, '')} on ${database === 'embedded' ? 'the embedded PostgreSQL' : 'PostgreSQL (BENCH_DATABASE_URL)'}`);
    try {
      await module.default(ctx);
      console.log(`(${file}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed++;
      console.error(`scenario ${file} failed on ${database}: ${error?.stack ?? error}${error?.cause ? `\ncause: ${error.cause.stack ?? error.cause}` : ''}`);
      console.error(ctx.serviceLogs());
      results.push({ measure: `${file.replace(/\.mjs$/, '')}: FAILED`, database, value: NaN, unit: '', detail: String(error?.message ?? error).slice(0, 80) });
    } finally {
      await ctx.cleanup();
    }
  }
}

console.log(`\n## Summary (${quick ? 'quick' : 'full'} run; load average at the end ${load()})`);
console.table(results.map(summaryRow));
const missed = results.filter((result) => result.goal && !meets(result));
console.log(
  `${results.filter((result) => result.goal).length - missed.length} of ${results.filter((result) => result.goal).length} goals met${failed ? `; ${failed} scenario run(s) failed` : ''}.`,
);
process.exit(failed ? 1 : 0);

function meets({ value, goal }) {
  if (!goal || !Number.isFinite(value)) return false;
  return (goal.min === undefined || value >= goal.min) && (goal.max === undefined || value <= goal.max);
}

function format(value, unit) {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'ratio') return value.toFixed(3);
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

function summaryRow(result) {
  const goal = result.goal
    ? [
        result.goal.min !== undefined ? `≥ ${format(result.goal.min, result.unit)}` : '',
        result.goal.max !== undefined ? `≤ ${format(result.goal.max, result.unit)}` : '',
      ]
        .filter(Boolean)
        .join(', ')
    : '(reported)';
  return {
    measure: result.measure,
    database: result.database,
    result: format(result.value, result.unit),
    goal,
    met: result.goal ? (meets(result) ? 'yes' : 'NO') : '',
    detail: result.detail,
  };
}
