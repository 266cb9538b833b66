import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ManualClock } from '@keyhaven/config';
import { createTestDatabase, fuzzOpenApi, OpenApiDocument, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { FakeAuthService, startFakeAuthService, startReleaseApp } from './support/release-app';

/**
 * Every operation of release-api's OpenAPI document, 1,000 generated hostile requests per run
 * (see libs/shared/testing openapi-fuzz.ts): never a 5xx, every 4xx in the error shape, still live.
 * Replay a failure with FUZZ_SEED=<seed> npx nx test release-api -- --testPathPatterns=fuzz.
 */
describe('release-api under generated hostile requests', () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;
  let clock: ManualClock;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    // The one ops token lives an hour, beyond the default AUTH_MAX_TOKEN_LIFETIME.
    ({ app, clock } = await startReleaseApp(database.url, auth, { AUTH_MAX_TOKEN_LIFETIME: '1h' }));
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await database?.drop();
  });

  it('keeps the error contract on every operation', async () => {
    const ops = await auth.mint(clock, { ttl: 3_600 });
    const call = async (method: 'POST', url: string, payload: unknown) => {
      const answer = await app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${ops}` } });
      if (answer.statusCode >= 300) throw new Error(`${url}: ${answer.body}`);
      return answer.json();
    };
    await call('POST', '/v1/releases', { version: '1.0.0', channel: 'stable', releasedAt: '2026-01-01T00:00:00Z' });
    const advisory = await call('POST', '/v1/advisories', { title: 'A flaw', affected: [{ introduced: '0', fixed: '1.0.0' }] });
    const window = await call('POST', '/v1/maintenance-windows', { title: 'Upgrade', startsAt: '2026-12-24T22:00:00Z', endsAt: '2026-12-24T23:00:00Z' });
    const subscription = await call('POST', '/v1/subscriptions', { kind: 'email', address: 'ops@example.test' });
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApiDocument>();

    const statuses = await fuzzOpenApi(
      {
        document,
        send: async (request) => {
          const answer = await app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.payload });
          return { statusCode: answer.statusCode, body: answer.body, headers: answer.headers };
        },
        tokens: [ops, await auth.mint(clock, { ttl: 3_600, roles: ['admin'] })],
        pathValues: { version: ['1.0.0'], id: [advisory.id, window.id, subscription.id] },
        // The badge is an image even when it says "invalid version" (docs/release-api.md).
        documentAnswers: ['GET /v1/check.svg'],
      },
      { runs: 1_000 },
    );
    // The suite reached the handlers, not only the gate in front of them.
    expect(Object.keys(statuses).some((status) => Number(status) < 300)).toBe(true);
    // ~10 s alone; generous for CI's two shared cores (a FUZZ_RUNS hunt also needs --testTimeout).
  }, 180_000);
});
