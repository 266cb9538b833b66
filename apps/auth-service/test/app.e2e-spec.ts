import { MikroORM, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrateAndMarkReady } from '@keyhaven/http';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { Account } from '../src/accounts/entities/account.entity';
import { AUTH_DATABASE } from '../src/app/auth-database';
import { createAuthApp } from '../src/app/create-app';
import { loadAuthConfig } from '../src/config/auth.config';

const quiet = { log: () => undefined };

describe('auth-service app', () => {
  let app: NestFastifyApplication;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(AUTH_DATABASE);
    app = await createAuthApp(loadAuthConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }), database.url);
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
    const applied = await app.get(MikroORM).em.getConnection().execute('select name from auth.mikro_orm_migrations');
    expect(applied.map((row: { name: string }) => row.name)).toEqual(AUTH_DATABASE.migrations.map((m) => m.name));
  });

  it('keeps accounts in its own schema with unique emails', async () => {
    const em = app.get(MikroORM).em.fork();
    em.create(Account, { email: 'ada@example.test', passwordHash: '$argon2id$stub' });
    await em.flush();
    const stored = await em.fork().findOneOrFail(Account, { email: 'ada@example.test' });
    expect(stored).toMatchObject({ email: 'ada@example.test', roles: [] });
    expect(JSON.stringify(stored)).not.toContain('argon2'); // the hash is hidden from serialisation

    const again = em.fork();
    again.create(Account, { email: 'ada@example.test', passwordHash: 'x' });
    await expect(again.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });

  it('documents itself', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.json().info.title).toBe('Keyhaven auth-service');
  });
});
