import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ManualClock } from '@keyhaven/config';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { FakeAuthService, startFakeAuthService, startReleaseApp } from './support/release-app';

const HOUR = 3_600_000;

/**
 * Hostile and ambiguous input on release-api's routes (issue #15): each case used to answer 500
 * or to store something other than what was meant. Every answer must be a 4xx in the contract's
 * shape, and nothing may change.
 */
describe('release-api input gate', () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;
  let clock: ManualClock;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    ({ app, clock } = await startReleaseApp(database.url, auth, { MAINTENANCE_NOTICE_LEAD: '20s' }));
    token = await auth.mint(clock);
    expect((await call('POST', '/v1/releases', { version: '1.0.0', channel: 'stable', releasedAt: '2026-01-01T00:00:00Z' })).statusCode).toBe(201);
    const advisory = await call('POST', '/v1/advisories', { id: 'KHSA-2026-0001', title: 'A flaw', affected: [{ introduced: '0', fixed: '1.0.0' }] });
    expect(advisory.statusCode).toBe(201);
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${token}` } });
  const at = (offsetMs: number) => new Date(clock.nowMs() + offsetMs).toISOString();

  async function expectRefused(method: 'GET' | 'POST' | 'PATCH', url: string, payload: unknown, code = 'validation_failed') {
    const response = await call(method, url, payload);
    expect({ status: response.statusCode, code: response.json().error?.code }).toEqual({ status: 400, code });
    expect(typeof response.json().error.message).toBe('string');
    return response.json().error as { message: string; details?: unknown };
  }

  describe('null on PATCH', () => {
    it.each([['security'], ['yanked'], ['editions'], ['channel'], ['releasedAt']])('refuses release %s: null and keeps the release', async (field) => {
      await expectRefused('PATCH', '/v1/releases/1.0.0', { [field]: null });
      expect((await call('GET', '/v1/releases/1.0.0')).json()).toMatchObject({ security: false, yanked: false, editions: [], channel: 'stable' });
    });

    it('still clears a nullable release field with null', async () => {
      const response = await call('PATCH', '/v1/releases/1.0.0', { supportedUntil: null, notesUrl: null });
      expect(response.statusCode).toBe(200);
    });

    it.each([['title'], ['summary'], ['knownExploited'], ['affected'], ['withdrawn']])('refuses advisory %s: null', async (field) => {
      await expectRefused('PATCH', '/v1/advisories/KHSA-2026-0001', { [field]: null });
      expect((await call('GET', '/v1/advisories/KHSA-2026-0001')).json()).toMatchObject({ title: 'A flaw' });
    });

    it('refuses fixedIn: null on POST /v1/advisories', async () => {
      await expectRefused('POST', '/v1/advisories', { title: 'B', affected: [{ introduced: '0', fixed: '1.0.0' }], fixedIn: null });
    });

    it.each([['title'], ['description']])('refuses window %s: null', async (field) => {
      const created = await call('POST', '/v1/maintenance-windows', { title: 'Upgrade', startsAt: at(2 * HOUR), endsAt: at(3 * HOUR) });
      expect(created.statusCode).toBe(201);
      await expectRefused('PATCH', `/v1/maintenance-windows/${created.json().id}`, { [field]: null });
    });
  });

  describe('dates', () => {
    it.each([
      ['releasedAt', '2026-01-01T00:00:00'],
      ['releasedAt', '2026-02-30T00:00:00Z'],
      ['releasedAt', '0000-01-01T00:00:00Z'],
      ['releasedAt', '+010000-01-01T00:00:00Z'],
      ['supportedUntil', '2027-01-01T00:00'],
      ['supportedUntil', '2027-13-01T00:00:00Z'],
    ])('refuses release %s %j (no offset, or no such day)', async (field, value) => {
      const error = await expectRefused('POST', '/v1/releases', { version: '2.0.0', channel: 'stable', releasedAt: '2026-01-01T00:00:00Z', [field]: value });
      expect(error.message).toContain(field);
    });

    it('refuses publishedAt without an offset', async () => {
      await expectRefused('POST', '/v1/advisories', { title: 'C', affected: [{ introduced: '0', fixed: '1.0.0' }], publishedAt: '2026-11-20T00:00:00' });
    });

    it.each([['from=2026-02-30&to=2026-03-01'], ['from=2026-01-01&to=0000-01-01'], ['from=2026-01-01&to=0001-01-01'], ['from=2026-1-1']])(
      'refuses impossible days in GET /v1/stats/versions?%s',
      async (query) => {
        await expectRefused('GET', `/v1/stats/versions?${query}`, undefined);
      },
    );

    it.each([
      ['published', '0000-01-01T00:00:00Z'],
      ['modified', '2026-02-30T00:00:00Z'],
      ['withdrawn', '2026-01-01T00:00:00'],
    ])('refuses an OSV %s of %j', async (field, value) => {
      const record = {
        id: 'x_DATES-1',
        modified: '2026-11-02T10:00:00Z',
        summary: 's',
        affected: [{ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }] }],
        [field]: value,
      };
      const response = await call('POST', '/v1/advisories/import', record);
      expect({ status: response.statusCode, code: response.json().error?.code }).toEqual({ status: 400, code: 'invalid_osv' });
    });

    it('answers real days, the first one of the calendar too', async () => {
      expect((await call('GET', '/v1/stats/versions?from=2024-02-29&to=2024-03-01')).statusCode).toBe(200);
      // The default start is 29 days before `to`; before year 1 it would be a day PostgreSQL has not.
      expect((await call('GET', '/v1/stats/versions?to=0001-01-01')).json()).toEqual({ days: [] });
    });
  });

  describe('silent meaning changes', () => {
    it('refuses affected[].fixed: "" (it would read as affected forever)', async () => {
      const error = await expectRefused('POST', '/v1/advisories', { title: 'D', affected: [{ introduced: '1.0.0', fixed: '' }] });
      expect(error.message).toContain('fixed');
    });

    it('refuses a CVSS vector that names a metric twice', async () => {
      const vector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L';
      const error = await expectRefused(
        'POST',
        '/v1/advisories',
        { title: 'E', severity: { vector }, affected: [{ introduced: '0', fixed: '1.0.0' }] },
        'invalid_cvss',
      );
      expect(error.message).toContain('AV');
    });

    it.each([['1.0.1\n'], [' 1.0.1'], ['1.0.1\u0007'], ['1.0.1\t']])('refuses the version %j', async (version) => {
      await expectRefused('POST', '/v1/releases', { version, channel: 'stable', releasedAt: '2026-01-01T00:00:00Z' }, 'invalid_version');
      expect((await call('GET', '/v1/releases/1.0.1')).statusCode).toBe(404);
    });

    it.each([['   '], ['\t\n']])('refuses a blank title %j', async (title) => {
      await expectRefused('POST', '/v1/advisories', { title, affected: [{ introduced: '0', fixed: '1.0.0' }] });
      await expectRefused('POST', '/v1/maintenance-windows', { title, startsAt: at(2 * HOUR), endsAt: at(3 * HOUR) });
    });
  });

  describe('NUL', () => {
    it('refuses NUL in a title and in a path parameter', async () => {
      await expectRefused('POST', '/v1/advisories', { title: 'a\u0000b', affected: [{ introduced: '0', fixed: '1.0.0' }] });
      await expectRefused('PATCH', '/v1/advisories/KHSA%00', { title: 'x' });
      await expectRefused('GET', '/v1/check?version=1.0.0%00', undefined);
    });
  });

  describe('notice lead', () => {
    it('says the lead as configured (20s), not rounded to hours', async () => {
      const response = await call('POST', '/v1/maintenance-windows', { title: 'Now', startsAt: at(5_000), endsAt: at(HOUR) });
      expect(response.statusCode).toBe(422);
      expect(response.json().error.message).toContain('at least 20s ahead');
    });
  });

  describe('bulk import', () => {
    it('takes more keys than other routes (an array of OSV records), still bounded', async () => {
      const record = (i: number) => ({
        schema_version: '1.6.0',
        id: `x_BULK-${i}`,
        modified: '2026-11-02T10:00:00Z',
        summary: 's',
        details: 'd',
        affected: [{ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }] }],
      });
      const many = Array.from({ length: 150 }, (_, i) => record(i));
      const taken = await call('POST', '/v1/advisories/import', many);
      expect(taken.json().error?.code).not.toBe('malformed_json');
      const tooMany = Array.from({ length: 2_000 }, (_, i) => record(i));
      const refused = await call('POST', '/v1/advisories/import', tooMany);
      expect(refused.json().error).toMatchObject({ code: 'malformed_json', details: { maxKeys: 20000 } });
    });
  });

  describe('event loop', () => {
    it('answers a 539 kB body of 50,000 unknown keys with a small 400 on a validated route', async () => {
      const body = `{${Array.from({ length: 50_000 }, (_, i) => `"key${i}":1`).join(',')}}`;
      expect(body.length).toBeGreaterThan(500_000);
      const response = await app.inject({
        method: 'POST',
        url: '/v1/releases',
        payload: body,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('malformed_json');
      // Before the gate this was a 5.4 MB list of every key, built in 1.3–1.7 s of event loop.
      expect(response.body.length).toBeLessThan(1_000);
    });
  });
});
