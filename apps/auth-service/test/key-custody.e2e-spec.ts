import { randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { ConfigError } from '@keyhaven/config';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { AUTH_DATABASE } from '../src/app/auth-database';
import { KeyCustody } from '../src/crypto/key-custody';
import { TotpFactorsService } from '../src/factors/totp-factors.service';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service';
import { startHarness } from './support/auth-harness';

const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

/**
 * The boot check of AUTH_ENCRYPTION_KEYS against what one database holds, run the way boot runs
 * it (the built-service test in keyhaven-e2e checks the exit code and the line on stderr).
 */
describe(KeyCustody.name, () => {
  let database: TestDatabase;
  const k1 = key('k1');

  beforeAll(async () => {
    database = await createTestDatabase(AUTH_DATABASE);
    // The first life of the database: a TOTP secret and a signing key sealed under k1.
    const first = await startHarness({ AUTH_ENCRYPTION_KEYS: k1 }, { database });
    try {
      await first.app.get(KeyCustody).verify();
      const user = await first.newUser();
      await user.enrollTotp();
      await first.request('GET', '/.well-known/jwks.json');
    } finally {
      await first.close();
    }
  });

  afterAll(async () => {
    await database?.drop();
  });

  /** verify() under a ring, on the shared database; answers its ConfigError message or 'ok'. */
  async function verifyWith(ring: string, before?: (sql: (query: string) => Promise<unknown>) => Promise<void>): Promise<string> {
    const harness = await startHarness({ AUTH_ENCRYPTION_KEYS: ring }, { database });
    try {
      await before?.((query) => harness.app.get(MikroORM).em.getConnection().execute(query));
      await harness.app.get(KeyCustody).verify();
      return 'ok';
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    } finally {
      await harness.close();
    }
  }

  it('lets the ring the data was sealed with start', async () => {
    expect(await verifyWith(k1)).toBe('ok');
  });

  it('refuses a key whose id matches but whose material does not, naming the variable and the id', async () => {
    expect(await verifyWith(key('k1'))).toBe(
      'Invalid configuration: AUTH_ENCRYPTION_KEYS: key k1 does not open what it sealed in this database (not the key material used before under that id)',
    );
  });

  it('refuses it also before any key-check value exists (a database from before the check), from the stored secrets', async () => {
    const message = await verifyWith(key('k1'), (sql) => sql('delete from auth.key_check').then(() => undefined));
    expect(message).toMatch(/^Invalid configuration: AUTH_ENCRYPTION_KEYS: key k1 does not open/);
    // …and the right key writes the check value again.
    expect(await verifyWith(k1)).toBe('ok');
  });

  it('refuses a ring that dropped a key still in use, telling the operator to run reencrypt first', async () => {
    expect(await verifyWith(key('k2'))).toBe(
      'Invalid configuration: AUTH_ENCRYPTION_KEYS: lacks key k1 (1 TOTP secret, 1 signing key) still sealing stored secrets: put it back after the newest key and run "node dist/apps/auth-service/main.js reencrypt" before dropping it',
    );
  });

  it('accepts a rotation (new key first, old one kept), and the new key alone once everything is re-encrypted', async () => {
    const k2 = key('k2');
    const rotated = await startHarness({ AUTH_ENCRYPTION_KEYS: `${k2},${k1}` }, { database });
    try {
      await rotated.app.get(KeyCustody).verify();
      expect(await rotated.app.get(TotpFactorsService).reencrypt()).toBe(1);
      expect(await rotated.app.get(SigningKeysService).reencrypt()).toBe(1);
    } finally {
      await rotated.close();
    }
    expect(await verifyWith(k2)).toBe('ok');
    // k1 opens nothing any more: its check value is gone, so the id may come back with new material.
    expect(await verifyWith(`${k2},${key('k1')}`)).toBe('ok');
  });
});
