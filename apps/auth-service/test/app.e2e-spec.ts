import { MikroORM, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Account } from '../src/accounts/entities/account.entity';
import { AUTH_DATABASE } from '../src/app/auth-database';
import { authOpenApiDocument } from '../src/app/openapi-document';
import { codesOutsideErrorResponses } from '@keyhaven/testing';
import { AUTH_ERROR_STATUS } from '../src/app/auth-errors';
import { Harness, startHarness } from './support/auth-harness';

describe('auth-service app', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('is ready once migrations are applied', async () => {
    const response = await harness.request('GET', '/health/ready');
    expect(response.statusCode).toBe(200);
    const applied = await harness.app.get(MikroORM).em.getConnection().execute('select name from auth.mikro_orm_migrations');
    expect(applied.map((row: { name: string }) => row.name)).toEqual(AUTH_DATABASE.migrations.map((m) => m.name));
  });

  it('keeps accounts in its own schema with unique emails', async () => {
    const em = harness.app.get(MikroORM).em.fork();
    em.create(Account, { email: 'ada@example.test', passwordHash: '$argon2id$stub' });
    await em.flush();
    const stored = await em.fork().findOneOrFail(Account, { email: 'ada@example.test' });
    expect(stored).toMatchObject({ email: 'ada@example.test', roles: [] });
    expect(JSON.stringify(stored)).not.toContain('argon2'); // the hash is hidden from serialisation

    const again = em.fork();
    again.create(Account, { email: 'ada@example.test', passwordHash: 'x' });
    await expect(again.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });

  it('keeps the security audit append-only', async () => {
    const connection = harness.app.get(MikroORM).em.getConnection();
    await connection.execute(
      "insert into auth.security_event (id, type, account_id, occurred_at) values ('00000000-0000-4000-8000-000000000001', 'mfa_failed', '00000000-0000-4000-8000-000000000002', now())",
    );
    await expect(connection.execute("update auth.security_event set type = 'mfa_succeeded'")).rejects.toThrow(/append-only/);
    await expect(connection.execute('delete from auth.security_event')).rejects.toThrow(/append-only/);
  });

  it('documents itself', async () => {
    const response = await harness.request('GET', '/docs/json');
    expect(response.json().info.title).toBe('Keyhaven auth-service');
    expect(Object.keys(response.json().paths)).toEqual(expect.arrayContaining(['/v1/sessions/mfa/totp', '/v1/me/factors/totp', '/.well-known/jwks.json']));
  });

  it('documents error codes as error responses from its table, not in success descriptions', async () => {
    const document = (await harness.request('GET', '/docs/json')).json();
    expect(codesOutsideErrorResponses(document, Object.keys(AUTH_ERROR_STATUS))).toEqual([]);
    expect(document.paths['/v1/sessions/mfa/totp'].post.responses['429'].content['application/json'].schema.properties.error.properties.code.enum).toEqual([
      'too_many_attempts',
    ]);
  });

  it("builds the same document without a database (the account page's API types are generated from it)", async () => {
    const served = (await harness.request('GET', '/docs/json')).json();
    expect(await authOpenApiDocument()).toEqual(served);
  });
});
