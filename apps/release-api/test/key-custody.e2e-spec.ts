import { randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { ConfigError } from '@keyhaven/config';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { KeyCustody, keyFingerprint } from '../src/signing/key-custody';
import { FakeAuthService, startFakeAuthService, startReleaseApp } from './support/release-app';

/**
 * The boot check of the sealing key against what one database holds, run the way boot runs it
 * (the built-service test in keyhaven-e2e checks the exit code and the line on stderr).
 */
describe(KeyCustody.name, () => {
  let database: TestDatabase;
  let auth: FakeAuthService;
  const original = randomBytes(32);

  beforeAll(async () => {
    database = await createTestDatabase(RELEASE_DATABASE);
    auth = await startFakeAuthService();
    // The first life of the database: a generated signing key and a webhook secret sealed under `original`.
    const { app, clock } = await startReleaseApp(database.url, auth, { RELEASE_SIGNING_KEYS: '', RELEASE_KEY_ENCRYPTION_KEY: original.toString('base64url') });
    try {
      await app.get(KeyCustody).verify();
      expect((await app.inject({ method: 'GET', url: '/v1/keys' })).json().keys).toHaveLength(1);
      const token = await auth.mint(clock);
      const subscribed = await app.inject({
        method: 'POST',
        url: '/v1/subscriptions',
        headers: { authorization: `Bearer ${token}` },
        payload: { kind: 'webhook', url: 'https://hooks.example.test/x', secret: 'a-long-random-secret-123' },
      });
      expect(subscribed.statusCode).toBe(201);
    } finally {
      await app.close();
    }
  });

  afterAll(async () => {
    await auth?.close();
    await database?.drop();
  });

  async function verifyWith(key: Buffer, before?: (sql: (query: string) => Promise<unknown>) => Promise<void>): Promise<string> {
    const { app } = await startReleaseApp(database.url, auth, { RELEASE_SIGNING_KEYS: '', RELEASE_KEY_ENCRYPTION_KEY: key.toString('base64url') });
    try {
      await before?.((query) => app.get(MikroORM).em.getConnection().execute(query));
      await app.get(KeyCustody).verify();
      return 'ok';
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    } finally {
      await app.close();
    }
  }

  it('lets the key the data was sealed with start (a new process, a new disk: same key, same data)', async () => {
    expect(await verifyWith(original)).toBe('ok');
  });

  it('refuses another key, naming the variable and which key the data needs', async () => {
    const other = randomBytes(32);
    expect(await verifyWith(other)).toBe(
      `Invalid configuration: RELEASE_KEY_ENCRYPTION_KEY: is not the key this database's secrets are sealed with (they need key ${keyFingerprint(original)}, this process has ${keyFingerprint(other)}): start it with the key the database was set up with (the one the other replicas use)`,
    );
  });

  it('refuses it also before any key-check value exists (a database from before the check), from the stored secrets', async () => {
    const message = await verifyWith(randomBytes(32), (sql) => sql('delete from release.key_check').then(() => undefined));
    expect(message).toMatch(/^Invalid configuration: RELEASE_KEY_ENCRYPTION_KEY: does not open a generated signing key stored in this database/);
    const webhookOnly = await verifyWith(randomBytes(32), (sql) => sql('delete from release.signing_key').then(() => undefined));
    expect(webhookOnly).toMatch(/^Invalid configuration: RELEASE_KEY_ENCRYPTION_KEY: does not open a webhook secret stored in this database/);
    expect(await verifyWith(original)).toBe('ok');
  });
});
