import { MikroORM } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrateAndMarkReady } from '@keyhaven/http';
import { codesOutsideErrorResponses, createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { RELEASE_ERROR_STATUS } from '../src/app/release-errors';
import { Release } from '../src/releases/entities/release.entity';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { createReleaseApp } from '../src/app/create-app';
import { loadReleaseConfig } from '../src/config/release.config';
import { KEY_ENCRYPTION_KEY } from './support/release-app';

const quiet = { log: () => undefined };

describe('release-api app', () => {
  let app: NestFastifyApplication;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    app = await createReleaseApp(
      loadReleaseConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', RELEASE_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY }),
      database.url,
    );
    app.useLogger(false);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await migrateAndMarkReady(app, quiet);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('is ready once migrations are applied', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    const applied = await app.get(MikroORM).em.getConnection().execute('select name from release.mikro_orm_migrations');
    expect(applied.map((row: { name: string }) => row.name)).toEqual(RELEASE_DATABASE.migrations.map((m) => m.name));
  });

  it('stores releases keyed by version', async () => {
    const em = app.get(MikroORM).em.fork();
    em.create(Release, { version: '14.2.1', channel: 'stable', releasedAt: new Date('2026-10-01T00:00:00Z'), upgradeFrom: '>=13.9.0 <14.2.1' });
    await em.flush();
    const stored = await em.fork().findOneOrFail(Release, { version: '14.2.1' });
    expect(stored).toMatchObject({ channel: 'stable', editions: [], security: false, yanked: false, upgradeFrom: '>=13.9.0 <14.2.1' });
    expect(stored.releasedAt.toISOString()).toBe('2026-10-01T00:00:00.000Z');
  });

  it('documents its routes, ops ones with bearer auth', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/check',
        '/v1/check.svg',
        '/v1/keys',
        '/v1/releases',
        '/v1/releases/{version}',
        '/v1/advisories',
        '/v1/advisories/import',
        '/v1/advisories/{id}',
        '/v1/stats/versions',
        '/v1/audit',
      ]),
    );
    expect(document.paths['/v1/releases'].post.security).toEqual([{ bearer: [] }]);
  });

  it('documents error codes as error responses from its table, not in success descriptions', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(codesOutsideErrorResponses(document, Object.keys(RELEASE_ERROR_STATUS))).toEqual([]);
    expect(document.paths['/v1/releases'].post.responses['409'].content['application/json'].schema.properties.error.properties.code.enum).toEqual([
      'release_exists',
    ]);
  });

  it('answers unknown routes with the uniform error body', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'not_found', message: 'No such resource.' } });
  });
});
