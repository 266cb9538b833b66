import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { AdvisoriesService } from '../src/advisories/advisories.service';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { DemoLoader } from '../src/demo/demo-loader';
import { FakeAuthService, startFakeAuthService, startReleaseApp } from './support/release-app';

const FIXTURES = join(__dirname, 'fixtures/osv');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

/** The official OSV schema (ossf/osv-schema validation/schema.json, vendored with its commit in fixtures/osv/README.md). */
function officialValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(fixture('schema.json'));
}

/** Real records of other packages: a Maven GHSA (akka-actor) and a Go vulndb record (gin). */
const FOREIGN = ['GHSA-mr95-9rr4-668f.json', 'GO-2020-0001.json'];

describe(`${AdvisoriesService.name} (OSV against the real world)`, () => {
  const validate = officialValidator();
  let database: TestDatabase;
  let auth: FakeAuthService;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
  });

  afterAll(async () => {
    await auth?.close();
    await database?.drop();
  });

  /** A release-api with the demo catalog plus advisories that use every exported field. */
  async function setup(env: Record<string, string>) {
    const started = await startReleaseApp(database.url, auth, env);
    const app: NestFastifyApplication = started.app;
    await app.get(DemoLoader).loadIfEmpty();
    const token = await auth.mint(started.clock);
    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
      app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${token}` } });
    return { sut: call, close: () => app.close() };
  }

  it('the fixtures themselves: the real foreign records are valid OSV (so refusing them is about the package)', () => {
    for (const name of FOREIGN) expect({ name, valid: validate(fixture(name)), errors: validate.errors }).toMatchObject({ valid: true, errors: null });
  });

  describe.each([
    ['with RELEASE_OSV_PACKAGE', { RELEASE_OSV_PACKAGE: 'npm/@keyhaven/server' }, { ecosystem: 'npm', name: '@keyhaven/server' }],
    ['without RELEASE_OSV_PACKAGE', {}, undefined],
  ] as const)('%s', (_label, env, productPackage) => {
    let sut: Awaited<ReturnType<typeof setup>>['sut'];
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ sut, close } = await setup(env));
      const id = productPackage ? 'KHSA-2026-7001' : 'KHSA-2026-7002';
      for (const advisory of [
        {
          id,
          aliases: ['CVE-2026-70001'],
          title: 'Every field',
          summary: 'With a CVSS 3.1 vector, a last-affected range and a URL.',
          severity: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
          knownExploited: true,
          affected: [
            { introduced: '0', fixed: '1.0.1' },
            { introduced: '2.0.0', lastAffected: '2.0.3' },
          ],
          url: 'https://keyhaven.example/security/every-field',
          publishedAt: '2026-10-01T00:00:00Z',
        },
        {
          id: `${id}-v4`,
          title: 'CVSS 4, then withdrawn',
          severity: { vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N' },
          affected: [{ introduced: '3.0.0', fixed: '3.0.1' }],
        },
      ]) {
        expect((await sut('POST', '/v1/advisories', advisory)).statusCode).toBe(201);
      }
      expect((await sut('PATCH', `/v1/advisories/${id}-v4`, { withdrawn: true })).statusCode).toBe(200);
    });

    afterAll(async () => {
      await close?.();
    });

    it('exports every advisory as a record the official schema accepts', async () => {
      const advisories = (await sut('GET', '/v1/advisories?includeWithdrawn=true')).json().advisories as { id: string }[];
      expect(advisories.length).toBeGreaterThan(5);
      for (const { id } of advisories) {
        const osv = (await sut('GET', `/v1/advisories/${id}.osv.json`)).json();
        expect({ id, valid: validate(osv), errors: validate.errors }).toEqual({ id, valid: true, errors: null });
        expect(osv.id).toBe(id.startsWith('GHSA-') ? id : `x_${id}`);
        const affected = osv.affected as { package?: unknown }[];
        if (productPackage) expect(affected.every((entry) => JSON.stringify(entry.package) === JSON.stringify(productPackage))).toBe(true);
        else expect(affected.every((entry) => entry.package === undefined)).toBe(true);
      }
    });

    it('imports its own exports back as the same advisories (round trip)', async () => {
      const advisories = (await sut('GET', '/v1/advisories?includeWithdrawn=true')).json().advisories as Record<string, unknown>[];
      const exports = await Promise.all(advisories.map(async ({ id }) => (await sut('GET', `/v1/advisories/${String(id)}.osv.json`)).json()));
      const imported = await sut('POST', '/v1/advisories/import', exports);
      expect(imported.statusCode).toBe(200);
      expect(imported.json().imported).toEqual(advisories.map(({ id }) => ({ id, created: false })));
      const after = (await sut('GET', '/v1/advisories?includeWithdrawn=true')).json().advisories as Record<string, unknown>[];
      // Nothing but the modification time may move.
      const stable = (list: Record<string, unknown>[]) => list.map(({ modifiedAt: _modifiedAt, ...rest }) => rest);
      expect(stable(after)).toEqual(stable(advisories));
    });

    it.each(FOREIGN)('refuses the real record %s of another package with 400 invalid_osv, saying why', async (name) => {
      const before = await sut('GET', '/v1/releases');
      const response = await sut('POST', '/v1/advisories/import', fixture(name));
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('invalid_osv');
      expect(response.json().error.message).toMatch(/is about (Maven com\.typesafe\.akka:akka-actor_2\.11|Go github\.com\/gin-gonic\/gin).*not this product/);
      expect((await sut('GET', '/v1/releases')).json().sequence).toBe(before.json().sequence);
      const id = String(fixture(name)['id']);
      expect((await sut('GET', `/v1/advisories/${id}`)).statusCode).toBe(404);
    });

    it('takes only the product’s entries of a record that names several packages', async () => {
      const ours = productPackage ? { package: productPackage } : {};
      const mixed = {
        ...fixture('GHSA-mr95-9rr4-668f.json'),
        id: productPackage ? 'GHSA-mixd-0001-0001' : 'GHSA-mixd-0001-0002',
        affected: [
          ...(fixture('GHSA-mr95-9rr4-668f.json')['affected'] as unknown[]),
          { ...ours, ranges: [{ type: 'SEMVER', events: [{ introduced: '13.0.0' }, { fixed: '13.4.2' }] }] },
        ],
      };
      const response = await sut('POST', '/v1/advisories/import', mixed);
      expect(response.statusCode).toBe(200);
      const stored = (await sut('GET', `/v1/advisories/${mixed.id}`)).json();
      // akka's 2.5.0–2.5.16 is not filed under our versions; only our range is.
      expect(stored.affected).toEqual([{ introduced: '13.0.0', fixed: '13.4.2' }]);
    });

    it('still imports a record exported by older versions (package Keyhaven/keyhaven)', async () => {
      const legacy = {
        schema_version: '1.6.0',
        id: productPackage ? 'KHSA-2025-0001' : 'KHSA-2025-0002',
        modified: '2025-05-01T00:00:00Z',
        summary: 'Exported before the schema was followed',
        affected: [
          { package: { ecosystem: 'Keyhaven', name: 'keyhaven' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.0.5' }] }] },
        ],
      };
      const response = await sut('POST', '/v1/advisories/import', legacy);
      expect(response.statusCode).toBe(200);
      expect(response.json().imported).toEqual([{ id: legacy.id, created: true }]);
    });
  });
});
