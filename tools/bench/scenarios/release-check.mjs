// release-api: the warm signed check next to a bare Fastify route answering the same bytes and
// headers; its p99 at half of the maximum rate measured; and the check on a catalog of 10 vs
// 10,000 releases and advisories (RELEASE_DEMO_SYNTHETIC).
import { inRounds, roundsNote } from '../lib/rounds.mjs';

export const title = 'release-check: warm /v1/check vs bare Fastify; p99 at half load; 10 vs 10,000 releases and advisories';

const CHECK = '/v1/check?version=13.1.0&channel=stable&edition=community';

/** 1,000 distinct versions: every one is computed once, then served from the answer cache. */
const MANY_VERSIONS = Array.from({ length: 1000 }, (_, i) => ({ method: 'GET', path: `/v1/check?version=14.2.${i + 2}` }));

export default async function releaseCheck(ctx) {
  const rows = [];
  const measured = {};
  // Both catalogs' services run side by side, so their checks can be compared in alternating
  // rounds (below): measured one after the other, minutes apart, a slow spell of the host fell on
  // one of them, and the ratio moved between 0.67 and 1.72 from run to run on PostgreSQL.
  const services = {};
  for (const size of [10, 10_000]) {
    const service = await ctx.startService('release-api', { RELEASE_DEMO_DATA: 'true', RELEASE_DEMO_SYNTHETIC: String(size) });
    const warmup = await fetch(`${service.url}${CHECK}`);
    if (warmup.status !== 200) throw new Error(`release-api answered ${warmup.status} to ${CHECK}`);
    await ctx.load({ url: `${service.url}${CHECK}`, seconds: 1 }); // JIT warm-up
    services[size] = service;
  }
  // The two catalogs' warm checks in alternating rounds, the median round's ratio reported — first,
  // while both services have served the same: measured after the 10-release service's comparison
  // with the bare route and its half-load run, it came out 1.21–1.24 (the 10-release side slower).
  const grown = await inRounds(ctx, { url: `${services[10_000].url}${CHECK}` }, { url: `${services[10].url}${CHECK}` });
  for (const size of [10, 10_000]) {
    const service = services[size];
    const warm = await ctx.load({ url: `${service.url}${CHECK}` });
    const distinct = await ctx.load({ url: service.url, requests: MANY_VERSIONS });
    measured[size] = { warm, distinct };
    const row = {
      catalog: `${size + 17} releases, ${size + 4} advisories`,
      'warm req/s': Math.round(warm.rps),
      'warm p99 ms': warm.p99,
      'CPU ms/req': round3(warm.cpuMsPerRequest),
      '1k versions req/s': Math.round(distinct.rps),
      errors: warm.errors + warm.non2xx + distinct.errors + distinct.non2xx,
      'boot→ready ms': Math.round(service.bootMs),
      'RSS MiB': Math.round(await ctx.rssMiB(service.pid)),
    };
    if (size === 10) {
      // Same bytes and headers from a bare Fastify route: what the framework, routing and the
      // answer cache cost on top of writing the response.
      const bare = await ctx.mirror(service.url, CHECK);
      await ctx.load({ url: `${bare.url}${CHECK}`, seconds: 1 });
      // The warm check and the bare route in alternating rounds, the median round reported (see rounds.mjs).
      const compared = await inRounds(ctx, { url: `${service.url}${CHECK}` }, { url: `${bare.url}${CHECK}` });
      const baseline = compared.baseline;
      // Latency when the service is not saturated: half of the rate it just sustained — and the
      // bare route's at that same rate, the latency this machine gives any server there (an idle
      // vCPU halts and must be woken: in this VM that alone can cost milliseconds).
      const bareHalf = await ctx.load({ url: `${bare.url}${CHECK}`, overallRate: warm.rps / 2 });
      await bare.stop();
      const half = await ctx.load({ url: `${service.url}${CHECK}`, overallRate: warm.rps / 2 });
      row['bare req/s'] = Math.round(baseline.rps);
      row['warm / bare'] = Number(compared.ratio.toFixed(3));
      row['bare CPU ms/req'] = round3(baseline.cpuMsPerRequest);
      row['p99 ms at half load'] = half.p99;
      row['bare p99 ms, same rate'] = bareHalf.p99;
      ctx.result({
        measure: 'release-api warm GET /v1/check vs bare Fastify (same bytes)',
        value: Number(compared.ratio.toFixed(3)),
        goal: { min: 0.9 },
        detail: `${Math.round(compared.measured.rps)} vs ${Math.round(baseline.rps)} req/s; CPU ${round3(compared.measured.cpuMsPerRequest)} vs ${round3(baseline.cpuMsPerRequest)} ms/req; ${roundsNote(compared)}`,
      });
      // The same comparison by the server's CPU per request: unlike req/s, it does not move when
      // another process takes turns on the server core (reported, the goal is the req/s ratio).
      ctx.result({
        measure: 'release-api warm GET /v1/check, CPU per request: bare / service',
        value: round3(compared.cpuRatio) ?? null,
      });
      ctx.result({
        measure: 'release-api GET /v1/check p99 at half of max load',
        value: half.p99,
        unit: 'ms',
        goal: { max: 5 },
        detail: `${Math.round(half.rps)} req/s offered; bare Fastify at the same rate: p99 ${bareHalf.p99} ms`,
      });
    }
    rows.push(row);
  }
  for (const service of Object.values(services)) await service.stop();
  const growth = Number(grown.ratio.toFixed(3));
  ctx.result({
    measure: 'release-api warm GET /v1/check, 10,000 vs 10 releases/advisories',
    value: growth,
    goal: { min: 0.83 },
    detail: `${Math.round(grown.measured.rps)} vs ${Math.round(grown.baseline.rps)} req/s; ${roundsNote(grown)}`,
  });
  ctx.result({
    measure: 'release-api 1,000 distinct versions, 10,000 vs 10 releases/advisories',
    value: ctx.ratio(measured[10_000].distinct.rps, measured[10].distinct.rps),
  });
  rows.push({
    catalog: '10,000 / 10 (≈1 means size-independent)',
    'warm req/s': growth,
    '1k versions req/s': ctx.ratio(measured[10_000].distinct.rps, measured[10].distinct.rps),
  });
  ctx.table(title, rows);
}

/** Server-side CPU per request (see `serverCpuMs`): steadier than req/s on a shared machine. */
const round3 = (value) => (value === undefined ? undefined : Number(value.toFixed(3)));
