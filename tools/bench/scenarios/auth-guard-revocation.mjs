// libs/shared/auth-guard's per-request cost of the revocation check, in release-api: one guarded
// ops route (GET /v1/stats/versions) with a token that names a session (`sid`: checked against the
// revocation list held in memory, here 10,000 revoked ids) and with one that names none (no
// check), against the same warm process, interleaved. Goal: ≥ 0.95 of the throughput without it.
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

export const title = 'auth-guard-revocation: release-api guarded GET with the revocation check (sid) vs without';

const ISSUER = 'http://auth.bench.test';
const ROUTE = '/v1/stats/versions';
const REVOKED = 10_000;

export default async function authGuardRevocation(ctx) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const keys = await ctx.startBare('auth-keys', {
    issuer: ISSUER,
    privateJwk: await exportJWK(privateKey),
    publicJwk,
    kid,
    revoked: REVOKED,
  });
  const service = await ctx.startService('release-api', {
    RELEASE_DEMO_DATA: 'true',
    AUTH_ISSUER: ISSUER,
    AUTH_JWKS_URL: `${keys.url}/.well-known/jwks.json`,
    // A bench of a few minutes on one token: the guard's lifetime cap allows it.
    AUTH_MAX_TOKEN_LIFETIME: '1h',
  });
  const mint = (claims) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: 'ops@bench.test', roles: ['ops'], aal: 2, amr: ['pwd', 'otp', 'mfa'], token_use: 'access', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(randomUUID())
      .setIssuer(ISSUER)
      .setAudience('keyhaven')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
  };
  const withSid = await mint({ sid: randomUUID() });
  const withoutSid = await mint({});
  const url = `${service.url}${ROUTE}`;
  for (const token of [withSid, withoutSid]) {
    const answer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (answer.status !== 200) throw new Error(`release-api answered ${answer.status} to ${ROUTE}: ${await answer.text()}`);
  }
  const load = (token) => ctx.load({ url, headers: { authorization: `Bearer ${token}` } });
  await load(withSid); // JIT warm-up of both paths
  await load(withoutSid);
  // Interleaved, twice, so a neighbour's burst on the shared cores hits both sides alike.
  const runs = { with: [], without: [] };
  for (let round = 0; round < 2; round += 1) {
    runs.with.push(await load(withSid));
    runs.without.push(await load(withoutSid));
  }
  const rps = (list) => list.reduce((sum, run) => sum + run.rps, 0) / list.length;
  const [withRps, withoutRps] = [rps(runs.with), rps(runs.without)];
  const failures = [...runs.with, ...runs.without].reduce((sum, run) => sum + run.errors + run.non2xx, 0);
  if (failures > 0) throw new Error(`${failures} guarded requests failed`);
  ctx.table(title, [
    {
      route: ROUTE,
      'with check req/s': Math.round(withRps),
      'without req/s': Math.round(withoutRps),
      ratio: ctx.ratio(withRps, withoutRps),
      'with p99 ms': Math.max(...runs.with.map((run) => run.p99)),
      'without p99 ms': Math.max(...runs.without.map((run) => run.p99)),
      'revoked ids held': REVOKED,
    },
  ]);
  ctx.result({
    measure: 'release-api guarded GET with the revocation check vs without',
    value: ctx.ratio(withRps, withoutRps),
    goal: { min: 0.95 },
    detail: `${Math.round(withRps)} vs ${Math.round(withoutRps)} req/s, ${REVOKED} revoked ids held`,
  });
  await service.stop();
  await keys.stop();
}
