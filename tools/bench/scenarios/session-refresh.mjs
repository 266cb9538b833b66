// auth-service: POST /v1/sessions/refresh end to end (HTTP, the refresh token's hash, one
// statement that spends it, marks the session used and stores the next one, the account's email
// and roles, an ES256 access token) next to a bare Fastify route doing one conditional pg UPDATE
// on the same database. Every measured request spends a different session's refresh token (each
// works once). Eight sessions are opened with real password sign-ins; the rest are copies of
// their rows made in SQL, each with a session-bound refresh token minted here as auth-service
// mints one (session id ‖ generation ‖ 256 random bits ‖ HMAC under the HKDF of the
// AUTH_ENCRYPTION_KEYS key the bench gives the service; see refresh-tokens.ts) and stored as it
// stores one (its SHA-256 on the session row) — thousands of Argon2id sign-ins would take
// minutes and measure nothing of the refresh. A token minted wrongly is refused, and the
// scenario then fails.
import { createHash, createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { loadAmount } from '../lib/context.mjs';
import { inRounds, roundsNote } from '../lib/rounds.mjs';
import { call, J, PASSWORD, preparing, startBareUpdate, stepRow } from '../lib/sign-in.mjs';

export const title = 'session-refresh: POST /v1/sessions/refresh vs bare Fastify + one pg UPDATE';

export default async function sessionRefresh(ctx) {
  // Measured refreshes, and the warm-up before them: V8 optimizes a function only after many calls,
  // and a service's request path is long — after 800 refreshes its optimizing compiler still took
  // 18 % of the service's CPU during the measurement (perf), after 8,000 it is idle. A service in
  // production is that warm; the baseline's few functions warm within its own warm-up load.
  const measuredCount = ctx.quick ? 160 : 4000;
  const warmCount = ctx.quick ? 40 : 8000;
  // Measured in alternating rounds (lib/rounds.mjs), the refresh's and the bare route's loads back
  // to back, who goes first alternating, and the median round reported: the host's speed drifts
  // within a minute, and one load per side let a slow spell fall on one side.
  const rounds = ctx.quick ? 1 : 5;
  const sessions = rounds * measuredCount + warmCount;
  const key = randomBytes(32);
  const service = await ctx.startService('auth-service', { AUTH_THROTTLE_LIMIT: '1000000', AUTH_ENCRYPTION_KEYS: `bench:${key.toString('base64')}` });
  const macKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'keyhaven refresh-token v1', 32));
  const databaseUrl = await ctx.databaseUrlOf(service);
  const bare = await startBareUpdate(ctx, databaseUrl, measuredCount);

  const tokens = await preparing(async () => {
    for (let i = 0; i < 8; i += 1) {
      const email = `bench-refresh-${i}-${randomBytes(3).toString('hex')}@example.test`;
      await call(service.url, '/v1/accounts', { email, password: PASSWORD });
      await call(service.url, '/v1/sessions', { email, password: PASSWORD });
    }
    const ids = Array.from({ length: sessions }, () => randomUUID());
    const minted = ids.map((id) => mintRefreshToken(macKey, id, 0));
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query(
        `with real as (select *, row_number() over (order by id) - 1 as n from auth.session),
              copies as (select c.id, c.hash, c.i from unnest($1::uuid[], $2::bytea[]) with ordinality as c(id, hash, i))
         insert into auth.session (id, account_id, token_use, aal, amr, auth_time, created_at, last_used_at, expires_at, device_label, network, refresh_hash)
         select c.id, r.account_id, r.token_use, r.aal, r.amr, r.auth_time, r.created_at, r.last_used_at, r.expires_at, r.device_label, r.network, c.hash
         from copies c join real r on r.n = c.i % 8`,
        [ids, minted.map((token) => createHash('sha256').update(token).digest())],
      );
    } finally {
      await db.end();
    }
    return minted;
  });
  const warm = tokens.splice(0, warmCount);
  await loadAmount(refreshLoad(service.url, warm));
  await loadAmount(bare.load(measuredCount));
  await loadAmount(bare.load(measuredCount));
  const refreshes = async () => {
    const load = await loadAmount(refreshLoad(service.url, tokens.splice(0, measuredCount)));
    if (load.non2xx + load.errors > 0) throw new Error(`${load.non2xx + load.errors} refreshes failed`);
    return load;
  };
  const compared = await inRounds(ctx, refreshes, () => loadAmount(bare.load(measuredCount)), { rounds });
  const { measured, baseline } = compared;
  ctx.table(
    title,
    compared.each.map((row, round) => ({
      round: `${round + 1}${round % 2 === 0 ? ' refresh first' : ' bare first'}`,
      ...stepRow(ctx, row.measured, row.baseline),
    })),
  );
  ctx.result({
    measure: 'auth-service POST /v1/sessions/refresh vs bare Fastify + one UPDATE',
    value: ctx.ratio(measured.rps, baseline.rps),
    goal: { min: 0.7 },
    detail: `${Math.round(measured.rps)} vs ${Math.round(baseline.rps)} req/s, p99 ${measured.p99} ms; ${roundsNote(compared)}`,
  });
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

/** A session-bound refresh token of generation `generation` (the layout of refresh-tokens.ts). */
function mintRefreshToken(macKey, sessionId, generation) {
  const named = Buffer.alloc(52);
  Buffer.from(sessionId.replace(/-/g, ''), 'hex').copy(named, 0);
  named.writeUInt32BE(generation, 16);
  randomBytes(32).copy(named, 20);
  const mac = createHmac('sha256', macKey).update(named).digest().subarray(0, 16);
  return `khr_${Buffer.concat([named, mac]).toString('base64url')}`;
}
