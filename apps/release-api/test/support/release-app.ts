import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';
import { Clock, ManualClock } from '@keyhaven/config';
import type { WebhookResolver } from '@keyhaven/release-maintenance';
import { migrateAndMarkReady } from '@keyhaven/http';
import { createReleaseApp } from '../../src/app/create-app';
import { loadReleaseConfig } from '../../src/config/release.config';
import { MaintenanceJobs } from '../../src/maintenance/maintenance-jobs';

export const AUTH_ISSUER = 'http://auth.test';
/** A fixed Ed25519 seed so signatures are reproducible; kid names it. */
export const SIGNING_SEED = Buffer.alloc(32, 7).toString('base64url');
export const SIGNING_KID = 'test-2026';
/** The sealing key every test app of one database shares (a test may unset it with ''). */
export const KEY_ENCRYPTION_KEY = Buffer.alloc(32, 9).toString('base64url');

const quiet = { log: () => undefined };

/** auth-service's JWKS, served for real on a loopback port, and a token minter for it. */
export async function startFakeAuthService() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  /** What its erasures feed (`GET /v1/privacy/erasures`) answers, oldest first; a test adds to it. */
  const erasures: { accountId: string; erasedAt: string }[] = [];
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/v1/privacy/erasures') {
      // Paged like the real feed: `next` is an opaque cursor (here the index of the next entry).
      const from = Number(url.searchParams.get('after') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 500);
      const page = erasures.slice(from, from + limit);
      response.end(JSON.stringify({ erasures: page, next: page.length === limit ? String(from + limit) : null }));
      return;
    }
    response.end(JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const mint = async (clock: Clock, options: { roles?: string[]; issuer?: string; ttl?: number; tokenUse?: string; key?: KeyLike; aal?: 1 | 2 } = {}) => {
    const now = Math.floor(clock.nowMs() / 1000);
    const aal = options.aal ?? 2;
    return new SignJWT({
      email: 'ops@example.test',
      roles: options.roles ?? ['ops'],
      aal,
      amr: aal === 2 ? ['pwd', 'otp'] : ['pwd'],
      token_use: options.tokenUse ?? 'access',
    })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject('acc-ops')
      .setIssuer(options.issuer ?? AUTH_ISSUER)
      .setAudience('keyhaven')
      .setIssuedAt(now)
      .setExpirationTime(now + (options.ttl ?? 900))
      .sign(options.key ?? privateKey);
  };
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    erasures,
    mint,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeAuthService = Awaited<ReturnType<typeof startFakeAuthService>>;

/** A migrated release-api on a test database, with a manual clock and a fixed signing key. */
export function startReleaseApp(databaseUrl: string, auth: FakeAuthService, env: Record<string, string> = {}, clock = new ManualClock('2026-11-27T12:00:00Z')) {
  return startReleaseAppOnClock(databaseUrl, auth, env, clock);
}

/** The same on any clock, e.g. the system clock for notices that real job workers deliver. */
export async function startReleaseAppOnClock<C extends Clock>(
  databaseUrl: string,
  auth: FakeAuthService,
  env: Record<string, string>,
  clock: C,
  options: { webhookResolver?: WebhookResolver } = {},
) {
  const config = loadReleaseConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    AUTH_JWKS_URL: auth.jwksUrl,
    AUTH_ISSUER,
    RELEASE_SIGNING_KEYS: `${SIGNING_KID}:${SIGNING_SEED}`,
    RELEASE_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY,
    ...env,
  });
  const app: NestFastifyApplication = await createReleaseApp(config, databaseUrl, { clock, ...options });
  app.useLogger(false);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await migrateAndMarkReady(app, quiet);
  await app.get(MaintenanceJobs).start();
  return { app, clock, config };
}
