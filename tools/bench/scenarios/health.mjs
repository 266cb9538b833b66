// Footprint and the cheapest route, per service: the first start on an empty store (embedded:
// initdb included), boot → ready once the store exists (median of three starts; the CPU time the
// service process spent is shown beside the wall time), idle memory of the service process and of
// the embedded PostgreSQL beside it, and /health/live next to a bare Fastify process answering the
// same bytes.
import { inRounds, roundsNote } from '../lib/rounds.mjs';

export const title = 'health: first start, boot → ready, idle memory, /health/live vs bare Fastify';

export default async function health(ctx) {
  const rows = [];
  for (const name of ['auth-service', 'release-api']) {
    const store = await ctx.freshStore();
    const first = await ctx.startService(name, store.env);
    await first.stop();
    const boots = [];
    for (let i = 0; i < 3; i++) {
      const boot = await ctx.startService(name, store.env);
      boots.push(boot);
      if (i < 2) await boot.stop();
    }
    const service = boots.at(-1);
    const median = [...boots].sort((a, b) => a.bootMs - b.bootMs)[1];
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let boot garbage settle before reading RSS
    const idleRss = await ctx.rssMiB(service.pid);
    const databaseMiB = await ctx.embeddedDatabaseMiB(service);

    const bare = await ctx.mirror(service.url, '/health/live');
    // A second of JIT warm-up on each side, as release-check does: else the service's first
    // thousands of answers run in the interpreter and its ratio depends on the run's length.
    await ctx.load({ url: `${bare.url}/health/live`, seconds: 1 });
    await ctx.load({ url: `${service.url}/health/live`, seconds: 1 });
    // Both sides in alternating rounds, the median round reported (see rounds.mjs).
    const compared = await inRounds(ctx, { url: `${service.url}/health/live` }, { url: `${bare.url}/health/live` });
    const { measured, baseline } = compared;
    await bare.stop();
    await service.stop();

    const live = Number(compared.ratio.toFixed(3));
    ctx.result({
      measure: `${name} first start (empty store${ctx.database === 'embedded' ? ', initdb' : ''})`,
      value: first.bootMs,
      unit: 'ms',
      goal: { max: 4000 },
      detail: `CPU ${Math.round(first.cpuMs)} ms`,
    });
    ctx.result({
      measure: `${name} boot → ready`,
      value: median.bootMs,
      unit: 'ms',
      goal: { max: 1500 },
      detail: `median of 3; CPU ${Math.round(median.cpuMs)} ms`,
    });
    ctx.result({ measure: `${name} idle RSS`, value: idleRss, unit: 'MiB', goal: { max: 150 } });
    if (databaseMiB !== undefined) ctx.result({ measure: `embedded PostgreSQL beside ${name} (PSS)`, value: databaseMiB, unit: 'MiB' });
    ctx.result({
      measure: `${name} /health/live vs bare Fastify`,
      value: live,
      goal: { min: 0.8 },
      detail: `${Math.round(measured.rps)} vs ${Math.round(baseline.rps)} req/s; CPU ${round3(measured.cpuMsPerRequest)} vs ${round3(baseline.cpuMsPerRequest)} ms/req; ${roundsNote(compared)}`,
    });
    // The same comparison by the server's CPU per request (reported; see release-check.mjs).
    ctx.result({ measure: `${name} /health/live, CPU per request: bare / service`, value: round3(compared.cpuRatio) ?? null });
    rows.push({
      service: name,
      'first start ms': Math.round(first.bootMs),
      'boot→ready ms': Math.round(median.bootMs),
      'boot CPU ms': Math.round(median.cpuMs),
      'idle RSS MiB': Math.round(idleRss),
      'database PSS MiB': databaseMiB === undefined ? '—' : Math.round(databaseMiB),
      'req/s': Math.round(measured.rps),
      'bare req/s': Math.round(baseline.rps),
      'req/s ratio': live,
      'CPU ms/req': round3(measured.cpuMsPerRequest),
      'bare CPU ms/req': round3(baseline.cpuMsPerRequest),
      'p99 ms': measured.p99,
      'bare p99 ms': baseline.p99,
      errors: measured.errors + measured.non2xx,
    });
  }
  ctx.table(title, rows);
}

/** Server-side CPU per request (see `serverCpuMs`): steadier than req/s on a shared machine. */
const round3 = (value) => (value === undefined ? undefined : Number(value.toFixed(3)));
