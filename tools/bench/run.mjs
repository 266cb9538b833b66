#!/usr/bin/env node
// `npm run bench [-- --quick] [-- scenario…]`: builds the services, then runs every scenario in
// tools/bench/scenarios (or the named ones). Each prints its numbers next to a baseline measured
// in the same run, as ratios. Nothing here asserts timings: these are measurements, not tests.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createContext, ROOT } from './lib/context.mjs';

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

console.log(`Keyhaven benchmarks (${quick ? 'quick' : 'full'}; ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL at BENCH_DATABASE_URL' : 'embedded PostgreSQL'}; node ${process.version})`);
let failed = 0;
for (const file of scenarios) {
  const module = await import(pathToFileURL(join(dir, file)).href);
  const ctx = createContext({ quick });
  const started = performance.now();
  try {
    await module.default(ctx);
    console.log(`(${file}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    console.error(`scenario ${file} failed: ${error?.stack ?? error}`);
  } finally {
    await ctx.cleanup();
  }
}
process.exit(failed ? 1 : 0);
