// auth-service: POST /v1/sessions/refresh end to end (HTTP, the refresh token's hash, one
// statement that spends it, marks the session used and stores the next one, the account's email
// and roles, an ES256 access token) next to a bare Fastify route doing one conditional pg UPDATE
// on the same database. Every measured request spends a different session's refresh token (each
// works once); the sessions are prepared first with password sign-ins.
import { randomBytes } from 'node:crypto';
import { loadAmount } from '../lib/context.mjs';
import { call, J, PASSWORD, preparing, startBareUpdate, stepRow } from '../lib/sign-in.mjs';

export const title = 'session-refresh: POST /v1/sessions/refresh vs bare Fastify + one pg UPDATE';

export default async function sessionRefresh(ctx) {
  const sessions = ctx.quick ? 60 : 400;
  const service = await ctx.startService('auth-service', { AUTH_THROTTLE_LIMIT: '1000000' });
  const databaseUrl = await ctx.databaseUrlOf(service);
  const bare = await startBareUpdate(ctx, databaseUrl, sessions);

  const tokens = await preparing(async () => {
    // A few accounts, many sessions each (a sign-in costs an Argon2id hash: the preparation's time).
    const accounts = [];
    for (let i = 0; i < 8; i += 1) {
      const email = `bench-refresh-${i}-${randomBytes(3).toString('hex')}@example.test`;
      await call(service.url, '/v1/accounts', { email, password: PASSWORD });
      accounts.push(email);
    }
    const prepared = [];
    for (let i = 0; i < sessions; i += 8) {
      const answers = await Promise.all(accounts.map((email) => call(service.url, '/v1/sessions', { email, password: PASSWORD })));
      prepared.push(...answers.map((answer) => answer.refreshToken));
    }
    return prepared.slice(0, sessions);
  });
  const warm = tokens.splice(0, Math.ceil(tokens.length / 5));
  await loadAmount(refreshLoad(service.url, warm));
  const measured = await loadAmount(refreshLoad(service.url, tokens));
  await loadAmount(bare.load(tokens.length));
  const baseline = await loadAmount(bare.load(tokens.length));
  if (measured.non2xx + measured.errors > 0) throw new Error(`${measured.non2xx + measured.errors} refreshes failed`);
  ctx.table(title, [stepRow(ctx, measured, baseline)]);
  ctx.result({ measure: 'auth-service POST /v1/sessions/refresh vs bare Fastify + one UPDATE', value: ctx.ratio(measured.rps, baseline.rps), goal: { min: 0.7 }, detail: `${Math.round(measured.rps)} vs ${Math.round(baseline.rps)} req/s, p99 ${measured.p99} ms` });
  await bare.stop();
  await service.stop();
}

/** Each request spends a different prepared refresh token once. */
function refreshLoad(url, tokens) {
  let next = 0;
  return {
    url: `${url}/v1/sessions/refresh`,
    method: 'POST',
    connections: Math.min(10, tokens.length),
    amount: tokens.length,
    requests: [{ setupRequest: (request) => ({ ...request, headers: J, body: JSON.stringify({ refreshToken: tokens[next++ % tokens.length] }) }) }],
  };
}
