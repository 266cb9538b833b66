import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ManualClock } from '@keyhaven/config';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { CatalogState } from '../src/catalog/catalog-state';
import { CatalogChanges } from '../src/catalog/catalog-changes';
import { CheckService } from '../src/check/check.service';
import { DemoLoader } from '../src/demo/demo-loader';
import { StatsService } from '../src/stats/stats.service';
import { FakeAuthService, SIGNING_KID, startFakeAuthService, startReleaseApp } from './support/release-app';

describe(CheckService.name, () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  let app: NestFastifyApplication;
  let started: Awaited<ReturnType<typeof startReleaseApp>>;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    started = await startReleaseApp(database.url, auth);
    app = started.app;
    await app.get(DemoLoader).loadIfEmpty();
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await database?.drop();
  });

  const check = (query: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/v1/check?${query}`, headers });

  describe('status', () => {
    it.each([
      ['14.2.1', 'up_to_date', false],
      ['14.1.0', 'update_available', false],
      ['13.1.0', 'security_update', true],
      ['12.3.0', 'security_update', false],
      ['11.2.0', 'unsupported', false],
      ['10.4.0', 'unsupported', false],
    ])('answers %s with %s (critical: %s)', async (version, status, critical) => {
      const response = await check(`version=${version}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status, critical, maintenance: [] });
    });

    it('follows the caller channel: the LTS line is up to date on lts', async () => {
      const body = (await check('version=12.4.3&channel=lts')).json();
      expect(body).toMatchObject({ status: 'up_to_date', target: null, upgradePath: [], latest: { lts: { version: '12.4.3' } } });
      expect(body.latest.stable).toBeUndefined();
    });

    it('offers the beta only to the beta channel', async () => {
      expect((await check('version=14.2.1&channel=beta')).json()).toMatchObject({ status: 'update_available', target: '15.0.0-beta.1' });
      expect((await check('version=14.2.1&channel=stable')).json()).toMatchObject({ status: 'up_to_date', target: null });
    });

    it('describes the caller: support end of its major line, yanked, known', async () => {
      const yanked = (await check('version=14.0.0')).json();
      expect(yanked.current).toEqual({ version: '14.0.0', known: true, yanked: true, supported: true, supportedUntil: null });
      const lts = (await check('version=12.3.0')).json();
      expect(lts.current).toEqual({ version: '12.3.0', known: false, yanked: false, supported: true, supportedUntil: '2028-12-31T00:00:00.000Z' });
      expect((await check('version=11.2.0')).json().current).toMatchObject({ supported: false, supportedUntil: '2026-06-30T00:00:00.000Z' });
    });

    it('answers a valid version the catalog does not know soundly', async () => {
      expect((await check('version=99.0.0')).json()).toMatchObject({ status: 'up_to_date', current: { known: false, supported: true }, upgradePath: [] });
      expect((await check('version=14.1.5')).json()).toMatchObject({ status: 'update_available', current: { known: false }, upgradePath: ['14.2.1'] });
    });

    it('takes the edition into account (enterprise-only hotfix)', async () => {
      const enterprise = (await check('version=14.1.0&edition=enterprise')).json();
      const community = (await check('version=14.1.0&edition=community')).json();
      expect(enterprise.upgradePath).toEqual(['14.2.1']);
      expect(community.upgradePath).toEqual(['14.2.1']);
      const listed = (await app.inject({ method: 'GET', url: '/v1/releases?edition=community' })).json();
      expect(listed.releases.map((r: { version: string }) => r.version)).not.toContain('14.1.1');
    });
  });

  describe('upgradePath', () => {
    it('steps through the last release of each major (12 → 12.4.3 → 13.4.2 → 14.2.1)', async () => {
      const body = (await check('version=12.3.0')).json();
      expect(body).toMatchObject({ target: '14.2.1', upgradePath: ['12.4.3', '13.4.2', '14.2.1'], upgradePathComplete: true });
    });

    it('goes from an end-of-life line through its last release and the LTS line', async () => {
      expect((await check('version=11.0.0')).json().upgradePath).toEqual(['11.2.4', '12.4.3', '13.4.2', '14.2.1']);
      expect((await check('version=10.4.0')).json().upgradePath).toEqual(['11.0.0', '11.2.4', '12.4.3', '13.4.2', '14.2.1']);
    });

    it('jumps straight to the target when allowed, skipping the yanked release', async () => {
      expect((await check('version=13.4.0')).json().upgradePath).toEqual(['14.2.1']);
      expect((await check('version=14.0.0')).json().upgradePath).toEqual(['14.2.1']);
    });

    it('reports a stuck path when nothing admits the version', async () => {
      expect((await check('version=9.0.0')).json()).toMatchObject({ upgradePath: [], upgradePathComplete: false, target: '14.2.1' });
    });
  });

  describe('advisories', () => {
    it('lists those affecting the exact version, over several branches, withdrawn excluded', async () => {
      const ids = async (version: string) => (await check(`version=${version}`)).json().advisories.map((a: { id: string }) => a.id);
      expect(await ids('13.1.0')).toEqual(['KHSA-2025-0011', 'KHSA-2026-0003']);
      expect(await ids('13.4.0')).toEqual(['KHSA-2026-0003']); // 0011 fixed in 13.4.0 (exclusive end)
      expect(await ids('13.4.2')).toEqual([]);
      expect(await ids('14.0.0')).toEqual(['KHSA-2026-0003']); // last_affected is inclusive
      expect(await ids('14.0.1')).toEqual([]);
      expect(await ids('12.0.0')).toEqual(['KHSA-2024-0004', 'KHSA-2025-0011']); // introduced is inclusive
      expect(await ids('14.2.1')).toEqual([]); // KHSA-2026-0007 is withdrawn
    });

    it('carries what a client needs to show an advisory', async () => {
      const [advisory] = (await check('version=13.4.0')).json().advisories;
      expect(advisory).toEqual({
        id: 'KHSA-2026-0003',
        aliases: ['CVE-2026-31337', 'GHSA-7h2x-4q9p-v3mm'],
        title: 'Authentication bypass in the SAML login',
        severity: { type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, level: 'critical' },
        knownExploited: true,
        affected: [
          { introduced: '13.0.0', fixed: '13.4.2' },
          { introduced: '14.0.0', lastAffected: '14.0.0' },
        ],
        fixedIn: ['13.4.2', '14.0.1'],
        url: 'https://keyhaven.example/security/KHSA-2026-0003',
      });
    });
  });

  describe('validity', () => {
    it('issues answers with issuedAt, expiresAt (7 days by default) and the catalog sequence', async () => {
      const body = (await check('version=14.1.0&environment=staging')).json();
      expect(body.issuedAt).toBe('2026-11-27T12:00:00.000Z');
      expect(body.expiresAt).toBe('2026-12-04T12:00:00.000Z');
      expect(body.sequence).toBeGreaterThan(0);
    });
  });

  describe('bad input', () => {
    it.each([
      ['version=banana', 'invalid_version'],
      ['version=1.2', 'invalid_version'],
      ['', 'invalid_version'],
      ['version=1.2.3&channel=nightly', 'validation_failed'],
      ['version=1.2.3&edition=platinum', 'validation_failed'],
      ['version=1.2.3&environment=Prod%20EU', 'validation_failed'],
      ['version=1.2.3&version=1.2.4', 'validation_failed'],
      ['version=1.2.3&unknown=1', 'validation_failed'],
    ])('answers %p with 400 %s', async (query, code) => {
      const response = await check(query);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe(code);
      expect(response.json().error.message.length).toBeGreaterThan(10);
    });

    it('accepts a leading v', async () => {
      expect((await check('version=v14.2.1')).json()).toMatchObject({ status: 'up_to_date', current: { version: '14.2.1' } });
    });
  });

  describe('signature', () => {
    it('is an Ed25519 signature over the exact body that openssl verifies with the key from /v1/keys', async () => {
      const response = await check('version=13.1.0');
      const header = String(response.headers['keyhaven-signature']);
      const match = /^keyid="([^"]+)", sig="([A-Za-z0-9_-]+)"$/.exec(header);
      expect(match?.[1]).toBe(SIGNING_KID);
      const keys = (await app.inject({ method: 'GET', url: '/v1/keys' })).json();
      expect(keys.keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: SIGNING_KID, alg: 'EdDSA', use: 'sig' }]);
      const pem = createPublicKey({ key: keys.keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' });

      const dir = mkdtempSync(join(tmpdir(), 'kh-sig-'));
      try {
        writeFileSync(join(dir, 'key.pem'), pem);
        writeFileSync(join(dir, 'body'), response.rawPayload);
        writeFileSync(join(dir, 'sig'), Buffer.from(match![2]!, 'base64url'));
        const verify = (body: string) =>
          execFileSync(
            'openssl',
            ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'key.pem'), '-rawin', '-in', join(dir, body), '-sigfile', join(dir, 'sig')],
            {
              encoding: 'utf8',
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          );
        expect(verify('body')).toMatch(/Signature Verified Successfully/);

        writeFileSync(join(dir, 'tampered'), response.body.replace('"critical":true', '"critical":false'));
        expect(() => verify('tampered')).toThrow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('caching', () => {
    it('sends ETag and Cache-Control, and 304 for a matching If-None-Match', async () => {
      const first = await check('version=14.1.0');
      expect(first.headers['cache-control']).toBe('public, max-age=3600');
      const etag = String(first.headers['etag']);
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const again = await check('version=14.1.0', { 'if-none-match': etag });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers['etag']).toBe(etag);
      expect((await check('version=14.1.0', { 'if-none-match': `W/${etag}, "other"` })).statusCode).toBe(304);
      expect((await check('version=14.1.0', { 'if-none-match': '"stale"' })).statusCode).toBe(200);
    });

    it('serves the same bytes until the catalog changes, then a new answer with a higher sequence', async () => {
      const before = await check('version=14.2.1');
      started.clock.advance(60_000);
      const cached = await check('version=14.2.1');
      expect(cached.body).toBe(before.body); // issuedAt did not move: it came from the cache

      const em = app.get(CatalogState);
      const repository = app.get(CatalogChanges);
      await repository.change({ sub: 'test', email: undefined }, async (tx) => {
        await tx.getConnection().execute("update release.release set yanked = true where version = '14.2.1'", [], 'run', tx.getTransactionContext());
        return { result: null, audit: [] };
      });
      await em.refresh();
      const after = (await check('version=14.2.1')).json();
      expect(after.sequence).toBe(before.json().sequence + 1);
      expect(after.current.yanked).toBe(true);
      await repository.change({ sub: 'test', email: undefined }, async (tx) => {
        await tx.getConnection().execute("update release.release set yanked = false where version = '14.2.1'", [], 'run', tx.getTransactionContext());
        return { result: null, audit: [] };
      });
      await em.refresh();
    });

    it('re-issues a cached answer once it is RELEASE_CHECK_REISSUE old', async () => {
      const before = (await check('version=13.4.2')).json();
      started.clock.advance(24 * 3_600_000);
      const after = (await check('version=13.4.2')).json();
      expect(new Date(after.issuedAt).getTime() - new Date(before.issuedAt).getTime()).toBe(24 * 3_600_000);
    });
  });

  describe('end of life', () => {
    it('turns a cached answer unsupported at the line end of life, not up to a day later', async () => {
      const late = await startReleaseApp(database.url, auth, {}, new ManualClock('2027-06-29T23:00:00Z'));
      try {
        const get = async () => (await late.app.inject({ method: 'GET', url: '/v1/check?version=13.4.2' })).json();
        expect((await get()).current).toMatchObject({ supported: true, supportedUntil: '2027-06-30T00:00:00.000Z' });
        late.clock.advance(60 * 60_000);
        expect(await get()).toMatchObject({ status: 'unsupported', current: { supported: false } });
      } finally {
        await late.app.close();
      }
    });
  });

  describe('scheduled releases', () => {
    it('holds a release with a future releasedAt back until then, and a cached answer no longer', async () => {
      const clock = new ManualClock('2026-11-27T12:00:00Z');
      const own = await createTestDatabase(RELEASE_DATABASE);
      const scheduled = await startReleaseApp(own.url, auth, {}, clock);
      try {
        await scheduled.app.get(DemoLoader).loadIfEmpty();
        const get = async () => (await scheduled.app.inject({ method: 'GET', url: '/v1/check?version=14.2.1' })).json();
        expect(await get()).toMatchObject({ status: 'up_to_date', target: null });
        const releasedAt = '2026-11-28T09:00:00.000Z';
        const token = await auth.mint(clock);
        const added = await scheduled.app.inject({
          method: 'POST',
          url: '/v1/releases',
          headers: { authorization: `Bearer ${token}` },
          payload: { version: '14.2.2', channel: 'stable', releasedAt, security: true },
        });
        expect(added.statusCode).toBe(201);
        // Published ahead: listed in the catalog, not offered to anyone yet.
        expect((await scheduled.app.inject({ method: 'GET', url: '/v1/releases/14.2.2' })).json()).toMatchObject({ version: '14.2.2', releasedAt });
        const before = await get();
        expect(before).toMatchObject({ status: 'up_to_date', target: null, upgradePath: [] });
        expect(before.latest.stable.version).toBe('14.2.1');
        clock.set(Date.parse(releasedAt) - 1000);
        expect((await get()).issuedAt).toBe(before.issuedAt); // still the cached answer
        clock.set(Date.parse(releasedAt));
        const revealed = await get();
        expect(revealed).toMatchObject({ status: 'security_update', target: '14.2.2', upgradePath: ['14.2.2'], issuedAt: releasedAt });
        expect(revealed.latest.stable).toMatchObject({ version: '14.2.2', security: true });
      } finally {
        await scheduled.app.close();
        await own.drop();
      }
    });
  });

  describe('memory', () => {
    it('keeps at most RELEASE_CHECK_CACHE_SIZE answers, dropping the least recently used', async () => {
      const small = await startReleaseApp(database.url, auth, { RELEASE_CHECK_CACHE_SIZE: '2' }, started.clock);
      try {
        const get = (version: string) => small.app.inject({ method: 'GET', url: `/v1/check?version=${version}` });
        const cache = small.app.get(CheckService)['cache'] as Map<string, unknown>;
        const cached = () => [...cache.keys()].map((key) => key.split('\u0000')[0]);
        const first = await get('14.1.0');
        await get('14.1.1');
        // Used again within a second of its last use: not moved (the order is kept to the second).
        await get('14.1.0');
        expect(cached()).toEqual(['14.1.0', '14.1.1']);
        started.clock.advance(1000);
        await get('14.1.0'); // used again a second later: now the most recent
        expect(cached()).toEqual(['14.1.1', '14.1.0']);
        await get('14.1.2'); // evicts 14.1.1
        expect(cache.size).toBe(2);
        expect(cached()).toEqual(['14.1.0', '14.1.2']);
        expect((await get('14.1.0')).body).toBe(first.body);
      } finally {
        await small.app.close();
      }
    });
  });

  describe('badge', () => {
    it.each([
      ['14.2.1', 'up to date'],
      ['14.1.0', 'update available'],
      ['13.1.0', 'security update'],
      ['11.2.0', 'unsupported'],
    ])('shows %s as "%s"', async (version, text) => {
      const response = await app.inject({ method: 'GET', url: `/v1/check.svg?version=${version}` });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
      expect(response.body).toContain(`>${text}</text>`);
      expect(response.body).toContain(`keyhaven ${version}`);
    });

    it('shows an invalid version as such, with 400', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/check.svg?version=%3Cscript%3E' });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('invalid version');
      expect(response.body).not.toContain('<script>');
    });
  });

  describe('stats', () => {
    it('counts checks per day × version × channel × edition, and unknown versions as "other"', async () => {
      const stats = app.get(StatsService);
      await stats.flush();
      await check('version=12.4.0&channel=lts');
      await check('version=12.4.0&channel=lts');
      await check('version=12.4.1&channel=lts');
      await stats.flush();
      const rows = (await stats.versions(undefined, undefined)).days.filter((d) => d.channel === 'lts');
      const day = started.clock.now().toISOString().slice(0, 10);
      expect(rows).toEqual(
        expect.arrayContaining([
          { day, version: '12.4.0', channel: 'lts', edition: 'community', count: 2 },
          { day, version: 'other', channel: 'lts', edition: 'community', count: 1 },
        ]),
      );
      // Privacy: nothing but the aggregate key and its count is stored.
      const columns = await app
        .get(MikroORM)
        .em.getConnection()
        .execute("select column_name from information_schema.columns where table_schema = 'release' and table_name = 'check_count' order by column_name");
      expect(columns.map((c: { column_name: string }) => c.column_name)).toEqual(['channel', 'count', 'day', 'edition', 'version']);
    });
  });
});
