// auth-service: the TOTP second step end to end (HTTP, pending-token check and spend, attempt
// claim, secret decryption, HMAC, the replay guard, audit, ES256 token) next to a bare Fastify
// route doing one conditional pg UPDATE on the same database, in one run; then the same step
// after seeding 100,000 accounts and 1,000,000 security events with generate_series (cost
// growth: indexes, no scans).
//
// Every measured request is a *successful* sign-in step of its own user (a code's time step is
// accepted once per factor). Users are prepared first through the public API.
import pg from 'pg';
import { loadAmount } from '../lib/context.mjs';
import { prepareTotpUsers, startBareUpdate, stepLoad, stepRow } from '../lib/sign-in.mjs';

export const title = 'auth-totp: POST /v1/sessions/mfa/totp (success path) vs bare Fastify + one pg UPDATE; with 100,000 accounts / 1,000,000 events';

const ACCOUNTS = 100_000;
const EVENTS_PER_ACCOUNT = 10;

export default async function authTotp(ctx) {
  const users = ctx.quick ? 40 : 200;
  const service = await ctx.startService('auth-service', { AUTH_THROTTLE_LIMIT: '1000000' });
  const databaseUrl = await ctx.databaseUrlOf(service);
  // The bare route's loads are longer than the step's: 160 UPDATEs at ≈ 1,500/s were a tenth of a
  // second, too short to leave its warm-up and the machine's noise behind.
  const bareRequests = ctx.quick ? users : 3000;
  const bare = await startBareUpdate(ctx, databaseUrl, bareRequests);

  // V8 optimizes the step's functions only after hundreds of calls (after 40 warm steps a third of
  // a measured step was still the compiler; docs/performance.md): 600 uncounted steps first, so the
  // empty and the seeded rows are both measured warm and their ratio is the database's, not the JIT's.
  if (!ctx.quick) for (let round = 0; round < 3; round += 1) await warmUp(service, users);
  const empty = await measure(ctx, service, bare, users, bareRequests, 'empty');
  await seed(databaseUrl, ctx.quick ? ACCOUNTS / 10 : ACCOUNTS);
  const seeded = await measure(ctx, service, bare, users, bareRequests, 'seeded');

  const accounts = ctx.quick ? ACCOUNTS / 10 : ACCOUNTS;
  ctx.result({
    measure: 'auth-service TOTP step vs bare Fastify + one UPDATE',
    value: ctx.ratio(empty.measured.rps, empty.baseline.rps),
    goal: { min: 0.7 },
    detail: `${Math.round(empty.measured.rps)} vs ${Math.round(empty.baseline.rps)} req/s, p99 ${empty.measured.p99} ms`,
  });
  ctx.result({
    measure: `auth-service TOTP step with ${accounts.toLocaleString('en')} accounts / ${(accounts * EVENTS_PER_ACCOUNT).toLocaleString('en')} events vs empty`,
    value: ctx.ratio(seeded.measured.rps / seeded.baseline.rps, empty.measured.rps / empty.baseline.rps),
    goal: { min: 0.9 },
    detail: `${Math.round(seeded.measured.rps)} vs ${Math.round(empty.measured.rps)} req/s (each against its own bare run)`,
  });
  ctx.table(title, [
    stepRow(ctx, empty.measured, empty.baseline, { database: 'empty' }),
    stepRow(ctx, seeded.measured, seeded.baseline, { database: `${accounts} accounts` }),
  ]);
  await bare.stop();
  await service.stop();
}

/** `count` successful steps, not measured (in rounds of a few hundred: a prepared code is for the next 30-s step, and the service accepts it for a step or so). */
async function warmUp(service, count) {
  const prepared = await prepareTotpUsers(service.url, count, 'warm');
  const warmed = await loadAmount(stepLoad(service.url, '/v1/sessions/mfa/totp', prepared, (user) => ({ code: user.code })));
  if (warmed.non2xx + warmed.errors > 0) throw new Error(`${warmed.non2xx + warmed.errors} warm-up TOTP steps failed`);
}

/** Warm-up with a fifth of the users, then the service and the bare baseline back to back. */
async function measure(ctx, service, bare, users, bareRequests, label) {
  const prepared = await prepareTotpUsers(service.url, users, label);
  const warm = prepared.splice(0, Math.ceil(prepared.length / 5));
  await loadAmount(stepLoad(service.url, '/v1/sessions/mfa/totp', warm, (user) => ({ code: user.code })));
  const measured = await loadAmount(stepLoad(service.url, '/v1/sessions/mfa/totp', prepared, (user) => ({ code: user.code })));
  await loadAmount(bare.load(bareRequests));
  const baseline = await loadAmount(bare.load(bareRequests));
  if (measured.non2xx + measured.errors > 0) throw new Error(`${measured.non2xx + measured.errors} TOTP steps failed (${label})`);
  return { measured, baseline };
}

/** Accounts and security events straight into the service's tables, as a long-running deployment has them. */
async function seed(databaseUrl, accounts) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into auth.account (id, email, password_hash)
       select gen_random_uuid(), 'seed-' || g || '@seed.test', '$argon2id$v=19$m=19456,t=2,p=1$c2VlZA$seed' from generate_series(1, $1::int) g`,
      [accounts],
    );
    await client.query(
      `insert into auth.security_event (id, type, account_id, occurred_at)
       select gen_random_uuid(), 'session_created', a.id, now() - (g * interval '7 hours')
         from auth.account a cross join generate_series(1, $1::int) g
        where a.email like 'seed-%@seed.test'`,
      [EVENTS_PER_ACCOUNT],
    );
    // A deployment that grew to this size has been vacuumed and checkpointed along the way: do
    // both now, so the measurement after the seed does not pay the bulk insert's aftermath
    // (hint bits set by the first reads, autovacuum and the checkpoint of ~1 GB of WAL running
    // beside it) — only what the size itself costs.
    await client.query('vacuum analyze auth.account');
    await client.query('vacuum analyze auth.security_event');
    await client.query('checkpoint').catch(() => undefined); // needs pg_checkpoint or superuser
  } finally {
    await client.end();
  }
}
