// Foundation: each service's /health/live next to a bare Fastify process answering the same
// bytes, plus boot time to /health/ready and idle memory.
export const title = 'health: /health/live vs bare Fastify, boot time, idle RSS';

export default async function health(ctx) {
  const rows = [];
  for (const name of ['auth-service', 'release-api']) {
    const service = await ctx.startService(name);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let boot garbage settle before reading RSS
    const idleRss = await ctx.rssMiB(service.pid);
    const bare = await ctx.mirror(service.url, '/health/live');
    const baseline = await ctx.load({ url: `${bare.url}/health/live` });
    const measured = await ctx.load({ url: `${service.url}/health/live` });
    rows.push({
      service: name,
      'req/s': Math.round(measured.rps),
      'bare req/s': Math.round(baseline.rps),
      'req/s ratio': ctx.ratio(measured.rps, baseline.rps),
      'p99 ms': measured.p99,
      'bare p99 ms': baseline.p99,
      'p99 ratio': ctx.ratio(measured.p99, baseline.p99),
      errors: measured.errors + measured.non2xx,
      'boot→ready ms': Math.round(service.bootMs),
      'idle RSS MiB': Math.round(idleRss),
      'bare RSS MiB': Math.round(await ctx.rssMiB(bare.pid)),
    });
    await bare.stop();
    await service.stop();
  }
  ctx.table(title, rows);
}
