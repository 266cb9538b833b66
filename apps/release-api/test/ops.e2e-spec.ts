import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateKeyPair } from 'jose';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { CatalogState } from '../src/catalog/catalog-state';
import { ReleasesService } from '../src/releases/releases.service';
import { FakeAuthService, startFakeAuthService, startReleaseApp } from './support/release-app';

const OSV_ADVISORY = {
  schema_version: '1.6.0',
  id: 'KHSA-2026-0100',
  modified: '2026-11-02T10:00:00Z',
  published: '2026-11-01T09:00:00Z',
  aliases: ['CVE-2026-50001', 'GHSA-abcd-efgh-ijkl'],
  summary: 'Open redirect after login',
  details: 'The `next` parameter was not checked against the allowed origins.',
  severity: [
    { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' },
    { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N' },
  ],
  affected: [
    {
      package: { ecosystem: 'Keyhaven', name: 'keyhaven' },
      ranges: [
        {
          type: 'SEMVER',
          events: [{ introduced: '2.0.0' }, { fixed: '2.3.1' }, { introduced: '3.0.0' }, { last_affected: '3.1.0' }],
        },
      ],
    },
  ],
  references: [
    { type: 'WEB', url: 'https://example.test/blog' },
    { type: 'ADVISORY', url: 'https://keyhaven.example/security/KHSA-2026-0100' },
  ],
  database_specific: { known_exploited: false, fixed_in: ['2.3.1', '3.2.0'] },
};

describe(ReleasesService.name, () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;
  let started: Awaited<ReturnType<typeof startReleaseApp>>;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    started = await startReleaseApp(database.url, auth);
    app = started.app;
    token = await auth.mint(started.clock);
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await database?.drop();
  });

  /** `bearer`: omitted = the ops token, null = no Authorization header. */
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, bearer: string | null = token) =>
    app.inject({ method, url, payload: payload as never, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const sequence = async () => (await call('GET', '/v1/releases')).json().sequence as number;

  describe('ops-only enforcement', () => {
    const release = { version: '1.0.0', channel: 'stable', releasedAt: '2026-01-01T00:00:00Z' };

    it('answers 401 without a token', async () => {
      const response = await call('POST', '/v1/releases', release, null);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('invalid_token');
    });

    it('answers 403 for a token without the role ops', async () => {
      const response = await call('POST', '/v1/releases', release, await auth.mint(started.clock, { roles: ['admin'] }));
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('forbidden');
    });

    it('answers 403 step_up_required for a password-only (aal 1) ops token', async () => {
      const aal1 = await auth.mint(started.clock, { aal: 1 });
      const response = await call('POST', '/v1/releases', release, aal1);
      expect(response.statusCode).toBe(403);
      expect(response.json().error).toMatchObject({ code: 'step_up_required', details: { requiredAal: 2 } });
      expect((await call('POST', '/v1/keys/rotate', undefined, aal1)).json().error.code).toBe('step_up_required');
      expect((await call('GET', '/v1/releases/1.0.0', undefined, aal1)).statusCode).not.toBe(403); // public routes stay public
    });

    it('answers 401 for a token that lives longer than AUTH_MAX_TOKEN_LIFETIME (15m)', async () => {
      const response = await call('POST', '/v1/releases', release, await auth.mint(started.clock, { ttl: 30 * 86_400 }));
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('invalid_token');
    });

    it('answers 401 for an expired token', async () => {
      const expired = await auth.mint(started.clock, { ttl: 60 });
      started.clock.advance(10 * 60_000);
      try {
        expect((await call('POST', '/v1/releases', release, expired)).statusCode).toBe(401);
      } finally {
        started.clock.advance(-10 * 60_000);
      }
    });

    it('answers 401 for a token of another issuer, a foreign key, or a pending MFA token', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      for (const bad of [
        await auth.mint(started.clock, { issuer: 'http://other-issuer.test' }),
        await auth.mint(started.clock, { key: privateKey }),
        await auth.mint(started.clock, { tokenUse: 'mfa_pending' }),
      ]) {
        expect((await call('POST', '/v1/releases', release, bad)).statusCode).toBe(401);
      }
    });

    it('guards every ops route', async () => {
      for (const [method, url] of [
        ['PATCH', '/v1/releases/1.0.0'],
        ['POST', '/v1/advisories'],
        ['POST', '/v1/advisories/import'],
        ['PATCH', '/v1/advisories/X-1'],
        ['GET', '/v1/stats/versions'],
        ['GET', '/v1/audit'],
      ] as const) {
        expect({ url, status: (await call(method, url, {}, null)).statusCode }).toEqual({ url, status: 401 });
      }
    });
  });

  describe('releases', () => {
    it('creates a release (201), refuses a duplicate (409), bumps the sequence and audits', async () => {
      const start = await sequence();
      const created = await call('POST', '/v1/releases', {
        version: 'v5.0.0',
        channel: 'stable',
        editions: ['enterprise'],
        releasedAt: '2026-05-01T00:00:00Z',
        notesUrl: 'https://keyhaven.example/releases/5.0.0',
        supportedUntil: '2027-05-01T00:00:00Z',
        upgradeFrom: '>=4.2.0 <5.0.0',
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toEqual({
        version: '5.0.0',
        channel: 'stable',
        editions: ['enterprise'],
        releasedAt: '2026-05-01T00:00:00.000Z',
        notesUrl: 'https://keyhaven.example/releases/5.0.0',
        supportedUntil: '2027-05-01T00:00:00.000Z',
        security: false,
        yanked: false,
        upgradeFrom: '>=4.2.0 <5.0.0',
      });
      expect(await sequence()).toBe(start + 1);
      const duplicate = await call('POST', '/v1/releases', { version: '5.0.0', channel: 'stable', releasedAt: '2026-05-01T00:00:00Z' });
      expect(duplicate.statusCode).toBe(409);
      expect(duplicate.json().error.code).toBe('release_exists');
      expect(await sequence()).toBe(start + 1); // the failed change rolled back its bump

      const audit = (await call('GET', '/v1/audit?limit=1')).json().entries[0];
      expect(audit).toMatchObject({ actor: { sub: 'acc-ops', email: 'ops@example.test' }, action: 'release.create', subject: '5.0.0', sequence: start + 1 });
      expect((await call('GET', '/v1/releases/5.0.0', undefined, null)).json().version).toBe('5.0.0');
    });

    it('yanks a release: audited with before/after, hidden from checks', async () => {
      await call('POST', '/v1/releases', { version: '5.1.0', channel: 'stable', releasedAt: '2026-06-01T00:00:00Z' });
      expect((await call('GET', '/v1/check?version=5.0.0', undefined, null)).json().target).toBe('5.1.0');
      const yanked = await call('PATCH', '/v1/releases/5.1.0', { yanked: true, supportedUntil: null });
      expect(yanked.statusCode).toBe(200);
      expect(yanked.json()).toMatchObject({ version: '5.1.0', yanked: true });
      const audit = (await call('GET', '/v1/audit?limit=1')).json().entries[0];
      expect(audit).toMatchObject({ action: 'release.yank', before: { yanked: false }, after: { yanked: true } });
      expect((await call('GET', '/v1/check?version=5.0.0', undefined, null)).json().target).toBeNull();
    });

    it.each([
      [{ version: 'five', channel: 'stable', releasedAt: '2026-01-01T00:00:00Z' }, 400, 'invalid_version'],
      [{ version: '6.0.0', channel: 'nightly', releasedAt: '2026-01-01T00:00:00Z' }, 400, 'validation_failed'],
      [{ version: '6.0.0', channel: 'stable', editions: ['gold'], releasedAt: '2026-01-01T00:00:00Z' }, 400, 'validation_failed'],
      [{ version: '6.0.0', channel: 'stable', releasedAt: 'yesterday' }, 400, 'validation_failed'],
      [{ version: '6.0.0', channel: 'stable', releasedAt: '2026-01-01T00:00:00Z', upgradeFrom: '>=banana' }, 400, 'invalid_range'],
      [{ version: '6.0.0', channel: 'stable', releasedAt: '2026-01-01T00:00:00Z', admin: true }, 400, 'validation_failed'],
    ])('refuses %j with %i %s', async (body, status, code) => {
      const response = await call('POST', '/v1/releases', body);
      expect(response.statusCode).toBe(status);
      expect(response.json().error.code).toBe(code);
    });

    it('answers 404 for an unknown release', async () => {
      expect((await call('PATCH', '/v1/releases/9.9.9', { yanked: true })).json().error.code).toBe('release_not_found');
      expect((await call('GET', '/v1/releases/9.9.9')).statusCode).toBe(404);
    });
  });

  describe('advisories', () => {
    it('creates an advisory with a computed score and level, and lists it for affected versions only', async () => {
      await call('POST', '/v1/releases', { version: '4.2.0', channel: 'stable', releasedAt: '2026-03-01T00:00:00Z' });
      const created = await call('POST', '/v1/advisories', {
        id: 'KHSA-2026-0200',
        aliases: ['CVE-2026-60001'],
        title: 'Stored XSS in the admin audit view',
        severity: { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
        affected: [
          { introduced: '4.0.0', fixed: '4.2.1' },
          { introduced: '5.0.0', fixed: '5.0.2' },
        ],
        url: 'https://keyhaven.example/security/KHSA-2026-0200',
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({
        severity: { type: 'CVSS_V4', score: 9.3, level: 'critical' },
        fixedIn: ['4.2.1', '5.0.2'],
        withdrawnAt: null,
        publishedAt: '2026-11-27T12:00:00.000Z',
      });
      const ids = async (version: string) =>
        (await call('GET', `/v1/advisories?version=${version}`, undefined, null)).json().advisories.map((a: { id: string }) => a.id);
      expect(await ids('4.2.0')).toEqual(['KHSA-2026-0200']);
      expect(await ids('4.2.1')).toEqual([]);
      expect(await ids('5.0.1')).toEqual(['KHSA-2026-0200']);
      expect((await call('GET', '/v1/check?version=4.2.0', undefined, null)).json()).toMatchObject({ status: 'security_update', critical: true });

      expect((await call('POST', '/v1/advisories', { id: 'KHSA-2026-0200', title: 'x', affected: [{ introduced: '0' }] })).statusCode).toBe(409);
    });

    it('withdraws an advisory: checks stop reporting it, the list hides it unless asked', async () => {
      const withdrawn = await call('PATCH', '/v1/advisories/KHSA-2026-0200', { withdrawn: true });
      expect(withdrawn.statusCode).toBe(200);
      expect(withdrawn.json().withdrawnAt).toBe('2026-11-27T12:00:00.000Z');
      expect((await call('GET', '/v1/check?version=4.2.0', undefined, null)).json()).toMatchObject({ status: 'up_to_date', critical: false, advisories: [] }); // 5.0.0 is enterprise-only, 5.1.0 yanked
      expect((await call('GET', '/v1/advisories')).json().advisories.map((a: { id: string }) => a.id)).not.toContain('KHSA-2026-0200');
      expect((await call('GET', '/v1/advisories?includeWithdrawn=true')).json().advisories.map((a: { id: string }) => a.id)).toContain('KHSA-2026-0200');
      expect((await call('GET', '/v1/audit?limit=1')).json().entries[0]).toMatchObject({ action: 'advisory.withdraw', subject: 'KHSA-2026-0200' });
    });

    it.each([
      [{ title: 't', affected: [{ introduced: 'x' }] }, 'invalid_range'],
      [{ title: 't', affected: [] }, 'invalid_range'],
      [{ title: 't', affected: [{ introduced: '2.0.0', fixed: '1.0.0' }] }, 'invalid_range'],
      [{ title: 't', affected: [{ introduced: '1.0.0', fixed: '1.1.0', lastAffected: '1.0.5' }] }, 'invalid_range'],
      [{ title: 't', severity: { vector: 'CVSS:3.1/AV:N' }, affected: [{ introduced: '0' }] }, 'invalid_cvss'],
      [{ title: 't', severity: { vector: 'nonsense' }, affected: [{ introduced: '0' }] }, 'invalid_cvss'],
      [{ id: 'bad id!', title: 't', affected: [{ introduced: '0' }] }, 'validation_failed'],
      [{ affected: [{ introduced: '0' }] }, 'validation_failed'],
    ])('refuses %j with 400 %s', async (body, code) => {
      const response = await call('POST', '/v1/advisories', body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe(code);
    });

    it('imports OSV and exports it back (round trip)', async () => {
      const start = await sequence();
      const imported = await call('POST', '/v1/advisories/import', [OSV_ADVISORY]);
      expect(imported.statusCode).toBe(200);
      expect(imported.json()).toEqual({ imported: [{ id: 'KHSA-2026-0100', created: true }], sequence: start + 1 });

      const ours = (await call('GET', '/v1/advisories/KHSA-2026-0100', undefined, null)).json();
      expect(ours).toMatchObject({
        title: 'Open redirect after login',
        summary: OSV_ADVISORY.details,
        severity: { type: 'CVSS_V4', vector: OSV_ADVISORY.severity[1]!.score, level: 'medium' },
        affected: [
          { introduced: '2.0.0', fixed: '2.3.1' },
          { introduced: '3.0.0', lastAffected: '3.1.0' },
        ],
        fixedIn: ['2.3.1', '3.2.0'],
        url: 'https://keyhaven.example/security/KHSA-2026-0100',
        publishedAt: '2026-11-01T09:00:00.000Z',
        modifiedAt: '2026-11-02T10:00:00.000Z',
      });

      const exported = await call('GET', '/v1/advisories/KHSA-2026-0100.osv.json', undefined, null);
      expect(exported.statusCode).toBe(200);
      const osv = exported.json();
      expect(osv).toMatchObject({
        schema_version: '1.6.0',
        // KHSA is no registered OSV database: exported under the local prefix, without a package (RELEASE_OSV_PACKAGE unset).
        id: `x_${OSV_ADVISORY.id}`,
        aliases: OSV_ADVISORY.aliases,
        summary: OSV_ADVISORY.summary,
        details: OSV_ADVISORY.details,
        // One range per interval: a range may not mix fixed and last_affected.
        affected: [
          {
            ranges: [
              { type: 'SEMVER', events: [{ introduced: '2.0.0' }, { fixed: '2.3.1' }] },
              { type: 'SEMVER', events: [{ introduced: '3.0.0' }, { last_affected: '3.1.0' }] },
            ],
          },
        ],
        severity: [OSV_ADVISORY.severity[1]],
        references: [{ type: 'ADVISORY', url: 'https://keyhaven.example/security/KHSA-2026-0100' }],
        database_specific: { known_exploited: false, fixed_in: ['2.3.1', '3.2.0'], severity_level: 'medium' },
      });
      expect(new Date(osv.modified).toISOString()).toBe('2026-11-02T10:00:00.000Z');

      // Re-importing the export changes nothing but counts as an update of the same advisory.
      const again = await call('POST', '/v1/advisories/import', osv);
      expect(again.json().imported).toEqual([{ id: 'KHSA-2026-0100', created: false }]);
      expect((await call('GET', '/v1/advisories/KHSA-2026-0100', undefined, null)).json()).toEqual(ours);
    });

    it('imports all documents or none, naming the bad one', async () => {
      const start = await sequence();
      const bad = { ...OSV_ADVISORY, id: 'KHSA-2026-0101', affected: [{ ranges: [{ type: 'SEMVER', events: [{ introduced: 'one' }] }] }] };
      const response = await call('POST', '/v1/advisories/import', [{ ...OSV_ADVISORY, id: 'KHSA-2026-0102' }, bad]);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'invalid_osv', details: { index: 1 } });
      expect((await call('GET', '/v1/advisories/KHSA-2026-0102')).statusCode).toBe(404);
      expect(await sequence()).toBe(start);
      expect((await call('POST', '/v1/advisories/import', { id: 'x' })).json().error.code).toBe('invalid_osv');
    });

    it('validates a patch field by field like a create, and refuses fields a patch cannot change', async () => {
      for (const [patch, field] of [
        [{ title: '' }, 'title'],
        [{ affected: [{ introduced: 7 }] }, 'affected'],
        [{ url: 'ftp://example.test/x' }, 'url'],
        [{ id: 'KHSA-2026-9999' }, 'id'],
        [{ publishedAt: '2026-01-01T00:00:00Z' }, 'publishedAt'],
      ] as const) {
        const response = await call('PATCH', '/v1/advisories/KHSA-2026-0200', patch);
        expect(response.statusCode).toBe(400);
        expect(response.json().error.code).toBe('validation_failed');
        expect(JSON.stringify(response.json().error.details)).toContain(field);
      }
      expect((await call('GET', '/v1/advisories/KHSA-2026-0200')).json().title).not.toBe('');
    });

    it('answers 404 for an unknown advisory or export', async () => {
      expect((await call('GET', '/v1/advisories/NOPE-1')).json().error.code).toBe('advisory_not_found');
      expect((await call('GET', '/v1/advisories/NOPE-1.osv.json')).statusCode).toBe(404);
      expect((await call('PATCH', '/v1/advisories/NOPE-1', { title: 'x' })).statusCode).toBe(404);
    });
  });

  describe('replicas', () => {
    it('another replica notices a change through the sequence and drops its cached answers', async () => {
      const other = await startReleaseApp(database.url, auth, {}, started.clock);
      try {
        const before = (await other.app.inject({ method: 'GET', url: '/v1/check?version=4.2.0' })).json();
        await call('POST', '/v1/releases', { version: '4.3.0', channel: 'stable', releasedAt: '2026-07-01T00:00:00Z' });
        await other.app.get(CatalogState).refresh(); // what its RELEASE_SEQUENCE_POLL timer does
        const after = (await other.app.inject({ method: 'GET', url: '/v1/check?version=4.2.0' })).json();
        expect(after.sequence).toBe(before.sequence + 1);
        expect(after.upgradePath).toContain('4.3.0');
      } finally {
        await other.app.close();
      }
    });
  });

  describe('stats', () => {
    it('are readable by ops only', async () => {
      expect((await call('GET', '/v1/stats/versions')).statusCode).toBe(200);
      expect((await call('GET', '/v1/stats/versions?from=yesterday')).statusCode).toBe(400);
      expect((await call('GET', '/v1/stats/versions', undefined, await auth.mint(started.clock, { roles: [] }))).statusCode).toBe(403);
    });
  });
});
