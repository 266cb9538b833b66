// auth-service: the recovery-code second step end to end (HTTP, pending-token spend, attempt
// claim, the code's hash looked up and spent, audit, ES256 token) next to a bare Fastify route
// doing one conditional pg UPDATE on the same database. Every measured request is a successful
// step of its own user with one of that user's recovery codes.
import { loadAmount } from '../lib/context.mjs';
import { prepareTotpUsers, startBareUpdate, stepLoad, stepRow } from '../lib/sign-in.mjs';

export const title = 'auth-recovery-code: POST /v1/sessions/mfa/recovery-code (success path) vs bare Fastify + one pg UPDATE';

export default async function authRecoveryCode(ctx) {
  const users = ctx.quick ? 40 : 200;
  const service = await ctx.startService('auth-service', { AUTH_THROTTLE_LIMIT: '1000000' });
  const bare = await startBareUpdate(ctx, await ctx.databaseUrlOf(service), users);
  const prepared = await prepareTotpUsers(service.url, users, 'recovery');
  const step = (list) => stepLoad(service.url, '/v1/sessions/mfa/recovery-code', list, (user) => ({ code: user.recoveryCode }));

  const warm = prepared.splice(0, Math.ceil(prepared.length / 5));
  await loadAmount(step(warm));
  const measured = await loadAmount(step(prepared));
  await loadAmount(bare.load(prepared.length));
  const baseline = await loadAmount(bare.load(prepared.length));
  if (measured.non2xx + measured.errors > 0) throw new Error(`${measured.non2xx + measured.errors} recovery-code steps failed`);

  ctx.result({
    measure: 'auth-service recovery-code step vs bare Fastify + one UPDATE',
    value: ctx.ratio(measured.rps, baseline.rps),
    goal: { min: 0.7 },
    detail: `${Math.round(measured.rps)} vs ${Math.round(baseline.rps)} req/s, p99 ${measured.p99} ms`,
  });
  ctx.table(title, [stepRow(ctx, measured, baseline)]);
  await bare.stop();
  await service.stop();
}
