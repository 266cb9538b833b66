// auth-service, GDPR: the erasure of one account that has 10 factors and 100,000 security events
// (one transaction over HTTP), and the retention job (`main.js retention`, the daily job's work)
// over 1,000,000 expired security events — rows per second — and what it does to sign-ins: the
// TOTP step's p99 while the job runs, next to its p99 without it, in the same run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { loadAmount, ROOT } from '../lib/context.mjs';
import { call, PASSWORD, prepareTotpUsers, stepLoad } from '../lib/sign-in.mjs';

export const title = 'privacy: erasure of one account (10 factors, 100,000 events); retention over 1,000,000 events; TOTP step p99 while it runs';

const ADMIN = 'bench-admin@example.test';

export default async function privacy(ctx) {
  const accountEvents = ctx.quick ? 10_000 : 100_000;
  const expiredEvents = ctx.quick ? 100_000 : 1_000_000;
  // Few enough that preparing them stays well inside a code's 30-s step and the pending token's 5 min on a busy machine.
  const users = ctx.quick ? 40 : 60;
  const service = await ctx.startService('auth-service', {
    AUTH_THROTTLE_LIMIT: '1000000',
    AUTH_BOOTSTRAP_EMAIL: ADMIN,
    AUTH_BOOTSTRAP_PASSWORD: PASSWORD,
    AUTH_EVENT_RETENTION: '30d',
  });
  const databaseUrl = await ctx.databaseUrlOf(service);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // 1. Erasure: one account with 5 authenticator apps, 5 keys, 10 recovery codes and its events (each naming a factor).
    const victim = await seedVictim(db, accountEvents);
    const admin = await call(service.url, '/v1/sessions', { email: ADMIN, password: PASSWORD });
    const started = performance.now();
    const erased = await call(service.url, `/v1/admin/accounts/${victim}/erase`, { reason: 'benchmark' }, { authorization: `Bearer ${admin.accessToken}` });
    const eraseMs = performance.now() - started;
    if (erased.accountId !== victim) throw new Error(`erasure failed: ${JSON.stringify(erased)}`);

    // 2. Retention: expired events of many accounts, then the job, alone.
    await seedExpired(db, expiredEvents);
    const alone = await runRetention(service.env);

    ctx.result({
      measure: `erasure of one account with 10 factors and ${accountEvents.toLocaleString('en')} events`,
      value: Math.round(eraseMs),
      unit: 'ms',
      goal: { max: 5000 },
      detail: `${Math.round((accountEvents * 1000) / eraseMs)} events/s`,
    });
    ctx.result({
      measure: `retention over ${alone.rows.toLocaleString('en')} expired events`,
      value: alone.ms,
      unit: 'ms',
      detail: `${Math.round((alone.rows * 1000) / Math.max(alone.ms, 1))} rows/s`,
    });

    // 3. The TOTP step without the job, then while the job deletes another batch of the same size.
    const quiet = await totpStep(ctx, service, users, 'quiet');
    await seedExpired(db, expiredEvents);
    const prepared = await prepareTotpUsers(service.url, users, 'during');
    const job = runRetention(service.env);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the job is under way
    const during = await loadAmount(stepLoad(service.url, '/v1/sessions/mfa/totp', prepared, (user) => ({ code: user.code })));
    const concurrent = await job;
    const overlapped = concurrent.ms > 300 + (during.total / Math.max(during.rps, 1)) * 1000;
    if (during.non2xx + during.errors > 0) throw new Error(`${during.non2xx + during.errors} TOTP steps failed while the retention job ran`);

    const rowsPerSecond = (report) => Math.round((report.rows * 1000) / Math.max(report.ms, 1));
    ctx.table(title, [
      {
        what: `erase 1 account: 10 factors, ${accountEvents.toLocaleString('en')} events`,
        ms: Math.round(eraseMs),
        'events/s': Math.round((accountEvents * 1000) / eraseMs),
      },
      { what: `retention job alone: ${alone.rows.toLocaleString('en')} rows`, ms: alone.ms, 'rows/s': rowsPerSecond(alone) },
      { what: `retention job beside sign-ins: ${concurrent.rows.toLocaleString('en')} rows`, ms: concurrent.ms, 'rows/s': rowsPerSecond(concurrent) },
      { what: 'TOTP step without the job', 'req/s': Math.round(quiet.rps), 'p99 ms': quiet.p99 },
      { what: `TOTP step while the job runs${overlapped ? '' : ' (the job ended first)'}`, 'req/s': Math.round(during.rps), 'p99 ms': during.p99 },
    ]);
    ctx.result({
      measure: 'TOTP step p99 without / while the retention job runs',
      value: ctx.ratio(quiet.p99, during.p99),
      goal: { min: 0.5 },
      detail: `p99 ${quiet.p99} ms without, ${during.p99} ms during${overlapped ? '' : ' (the job ended before the load)'}`,
    });
  } finally {
    await db.end();
    await service.stop();
  }
}

async function totpStep(ctx, service, users, label) {
  const prepared = await prepareTotpUsers(service.url, users, label);
  const measured = await loadAmount(stepLoad(service.url, '/v1/sessions/mfa/totp', prepared, (user) => ({ code: user.code })));
  if (measured.non2xx + measured.errors > 0) throw new Error(`${measured.non2xx + measured.errors} TOTP steps failed (${label})`);
  return measured;
}

/** `node main.js retention` with the service's environment (it joins its database); its printed counts. */
function runRetention(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/apps/auth-service/main.js'), 'retention'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => {
      const match = /deleted (\d+) row\(s\) in (\d+) ms/.exec(out);
      if (code !== 0 || !match) reject(new Error(`retention exited ${code}: ${out}`));
      else resolve({ rows: Number(match[1]), ms: Number(match[2]) });
    });
  });
}

async function seedVictim(db, events) {
  const { rows } = await db.query(
    `insert into auth.account (id, email, password_hash) values (gen_random_uuid(), 'bench-victim@example.test', 'x') returning id`,
  );
  const id = rows[0].id;
  await db.query(
    `insert into auth.totp_factor (id, account_id, name, secret_sealed, created_at, confirmed_at) select gen_random_uuid(), $1, 'App ' || g, 'v1.x.y.z', now(), now() from generate_series(1, 5) g`,
    [id],
  );
  await db.query(
    `insert into auth.webauthn_credential (id, account_id, name, credential_id, public_key, counter, aaguid, device_type, backed_up, passkey, created_at)
     select gen_random_uuid(), $1::uuid, 'Key ' || g, 'cred-' || g || '-' || $1::text, 'pk', 0, '00000000-0000-0000-0000-000000000000', 'singleDevice', false, false, now() from generate_series(1, 5) g`,
    [id],
  );
  await db.query(
    `insert into auth.recovery_code (id, account_id, code_hash, created_at) select gen_random_uuid(), $1, md5(g::text), now() from generate_series(1, 10) g`,
    [id],
  );
  await db.query(
    `insert into auth.security_event (id, type, account_id, actor_id, details, occurred_at)
     select gen_random_uuid(), 'mfa_succeeded', $1, $1, jsonb_build_object('method', 'totp', 'name', 'App ' || (g % 5)), now() - g * interval '1 minute'
       from generate_series(1, $2::int) g`,
    [id, events],
  );
  await db.query('analyze auth.security_event');
  return id;
}

/** Events 40–400 days old (past a 30-day retention) of 1,000 made-up account ids. */
async function seedExpired(db, events) {
  await db.query(
    `insert into auth.security_event (id, type, account_id, occurred_at)
     select gen_random_uuid(), 'mfa_failed', ('00000000-0000-4000-8000-' || lpad((g % 1000)::text, 12, '0'))::uuid, now() - interval '40 days' - (g % 360) * interval '1 day'
       from generate_series(1, $1::int) g`,
    [events],
  );
  await db.query('analyze auth.security_event');
}
