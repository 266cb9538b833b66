import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { DemoLoader } from '../src/demo/demo-loader';
import { StatsService } from '../src/stats/stats.service';
import { FakeAuthService, startFakeAuthService, startReleaseApp } from './support/release-app';

/**
 * GET /v1/check and /health/live are answered on the lean lane (libs/shared/http lean-route.ts),
 * ahead of Nest's pipeline. They keep the gate of every route — answers equal to those the
 * validation pipe and the exception filter give — and are counted once in the metrics.
 */
describe('the lean lane in release-api: /v1/check and /health/live', () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    app = (await startReleaseApp(database.url, auth)).app;
    await app.get(DemoLoader).loadIfEmpty();
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await database?.drop();
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it('refuses a query CheckQueryDto refuses exactly as the validation pipe does on the Nest route of the badge (same DTO)', async () => {
    for (const query of ['version=1.0.0&bogus=1', 'version=1.0.0&version=2.0.0', `version=${'1'.repeat(257)}`, 'version=1.0.0&channel[x]=1']) {
      const lean = await get(`/v1/check?${query}`);
      // /v1/check.svg takes the same CheckQueryDto through Nest's validation pipe.
      const nest = await get(`/v1/check.svg?${query}`);
      expect({ query, status: lean.statusCode }).toEqual({ query, status: 400 });
      expect({ query, code: lean.json().error.code }).toEqual({ query, code: 'validation_failed' });
      expect(nest.statusCode).toBe(400);
      expect(lean.headers['x-content-type-options']).toBe('nosniff');
      expect(lean.headers['x-request-id']).toEqual(expect.any(String));
    }
    // Names of Object.prototype's members: whatever the pipe makes of them, the lean route the same.
    for (const query of ['version=1.0.0&constructor=1', 'version=1.0.0&__proto__=1', 'version=1.0.0&toString=1']) {
      expect({ query, status: (await get(`/v1/check?${query}`)).statusCode }).toEqual({ query, status: (await get(`/v1/check.svg?${query}`)).statusCode });
    }
    const extra = await get('/v1/check?version=1.0.0&bogus=1');
    expect(extra.json().error.details).toEqual({ fields: [{ field: 'bogus', problems: ['property bogus should not exist'] }] });
    const nul = await get('/v1/check?version=1.0.0%00');
    expect([nul.statusCode, nul.json().error.code]).toEqual([400, 'validation_failed']);
  });

  it('answers the signed bytes with their headers, 304 on a matching If-None-Match, and keeps a caller’s request id', async () => {
    const first = await get('/v1/check?version=14.0.0', { 'x-request-id': 'probe-1' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-request-id']).toBe('probe-1');
    expect(first.headers['keyhaven-signature']).toEqual(expect.any(String));
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(first.body)).toMatchObject({ advisories: expect.any(Array) });
    const again = await get('/v1/check?version=14.0.0', { 'if-none-match': String(first.headers['etag']) });
    expect([again.statusCode, again.body]).toEqual([304, '']);
    const bad = await get('/v1/check?version=not-a-version');
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'invalid_version']);
  });

  it('answers a cached check over HTTP ahead of Fastify with the bytes and headers Fastify’s lane sends, and counts it once', async () => {
    const url = await app.listen(0, '127.0.0.1').then(() => app.getUrl());
    const PER_REQUEST = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);
    const overHttp = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${url}${path}`, { headers });
      const kept: [string, string][] = [];
      response.headers.forEach((value, name) => (PER_REQUEST.has(name) ? undefined : kept.push([name, value])));
      return { status: response.status, headers: Object.fromEntries(kept.sort()), body: await response.text() };
    };
    const throughFastify = async (path: string, headers: Record<string, string> = {}) => {
      const response = await get(path, headers);
      const kept = Object.entries(response.headers).filter(([name]) => !PER_REQUEST.has(name));
      return { status: response.statusCode, headers: Object.fromEntries(kept.map(([name, value]) => [name, String(value)]).sort()), body: response.body };
    };
    const stats = app.get(StatsService);
    await stats.flush();
    const path = '/v1/check?version=14.0.0&channel=lts&edition=community';
    const first = await throughFastify(path); // computed and cached
    expect(first.status).toBe(200);
    expect(await overHttp(path)).toEqual(first);
    const etag = first.headers['etag'] ?? '';
    expect(await overHttp(path, { 'if-none-match': etag })).toEqual(await throughFastify(path, { 'if-none-match': etag }));
    expect((await overHttp(path, { 'if-none-match': etag })).status).toBe(304);
    await stats.flush();
    const day = (await stats.versions(undefined, undefined)).days.find((d) => d.channel === 'lts' && d.version === '14.0.0');
    expect(day?.count).toBe(5);
  });

  it('counts each lean answer once in http_requests_total, by route pattern and status', async () => {
    const count = async (route: string, status: number) => {
      const text = (await get('/metrics')).body;
      const line = text
        .split('\n')
        .find((l) => l.startsWith('http_requests_total{') && l.includes(`route="${route}"`) && l.includes(`status="${status}"`) && l.includes('method="GET"'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const [checks, lives] = [await count('/v1/check', 200), await count('/health/live', 200)];
    for (let i = 0; i < 3; i++) {
      expect((await get('/v1/check?version=14.0.0')).statusCode).toBe(200);
      expect((await get('/health/live')).json()).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    }
    expect(await count('/v1/check', 200)).toBe(checks + 3);
    expect(await count('/health/live', 200)).toBe(lives + 3);
  });
});
