import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, startService } from '@keyhaven/testing';
import { freshStore, FreshStore } from './support/fresh-database';

/** Starts, waits for ready, runs `work`, stops with SIGTERM (exit 0). */
async function lifetime(service: ServiceProcess, work: (url: string) => Promise<void> = async () => undefined): Promise<void> {
  try {
    await service.ready();
    await work(service.url);
  } finally {
    await service.stop();
  }
}

/**
 * The process must stop on its own with exit code 1, before it is ready, with exactly one line
 * that is not a JSON log line (the embedded database's start is logged before it), this one.
 */
async function refuses(service: ServiceProcess, line: RegExp): Promise<void> {
  expect(await service.exited).toBe(1);
  const lines = service.output().trim().split('\n');
  const plain = lines.filter((text) => !text.startsWith('{'));
  expect(plain).toHaveLength(1);
  expect(plain[0]).toMatch(line);
  expect(service.output()).not.toMatch(/ready at/);
}

/**
 * Key custody at boot, against the built services: a key that cannot open what the database
 * holds stops the boot with one line naming the variable — never "ready" and then 500s.
 */
describe('key custody at boot (built services)', () => {
  let store: FreshStore;
  let scratch: string;

  beforeEach(async () => {
    store = await freshStore();
    scratch = await mkdtemp(join(tmpdir(), 'keyhaven-custody-'));
  });

  afterEach(async () => {
    await store.remove();
    await rm(scratch, { recursive: true, force: true });
  });

  it('auth-service refuses a wrong ring and a ring that dropped a key still in use', async () => {
    const k1 = `k1:${randomBytes(32).toString('base64')}`;
    // First life: a signing key (made by the JWKS request) sealed under k1.
    await lifetime(await startService('auth-service', { ...store.env, AUTH_ENCRYPTION_KEYS: k1 }), async (url) => {
      expect((await (await fetch(`${url}/.well-known/jwks.json`)).json()).keys).toHaveLength(1);
    });
    await refuses(
      await startService('auth-service', { ...store.env, AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` }),
      /^auth-service: Invalid configuration: AUTH_ENCRYPTION_KEYS: key k1 does not open what it sealed in this database/,
    );
    await refuses(
      await startService('auth-service', { ...store.env, AUTH_ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')}` }),
      /^auth-service: Invalid configuration: AUTH_ENCRYPTION_KEYS: lacks key k1 \(1 signing key\) still sealing stored secrets: .*reencrypt/,
    );
    // The right ring still starts: the refusals changed nothing.
    await lifetime(await startService('auth-service', { ...store.env, AUTH_ENCRYPTION_KEYS: k1 }));
  });

  it('release-api on a fresh DATA_DIR: works with the key, refuses without it or with another, naming the variable', async () => {
    const storeSigningKey = async (url: string) => {
      // A generated signing key is stored (sealed) on first use.
      expect((await (await fetch(`${url}/v1/keys`)).json()).keys).toHaveLength(1);
    };
    if (store.env['DATABASE_URL']) {
      const key = randomBytes(32).toString('base64url');
      const on = (dir: string, extra: Record<string, string>) => ({ ...store.env, DATA_DIR: join(scratch, dir), ...extra });
      await lifetime(await startService('release-api', on('first', { RELEASE_KEY_ENCRYPTION_KEY: key })), storeSigningKey);
      // Another container, no volume: the same database and the same key work.
      await lifetime(await startService('release-api', on('second', { RELEASE_KEY_ENCRYPTION_KEY: key })), storeSigningKey);
      await refuses(
        await startService('release-api', on('third', { RELEASE_KEY_ENCRYPTION_KEY: '' })),
        /^release-api: Invalid configuration: RELEASE_KEY_ENCRYPTION_KEY: is required when DATABASE_URL is set/,
      );
      await refuses(
        await startService('release-api', on('fourth', { RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url') })),
        /^release-api: Invalid configuration: RELEASE_KEY_ENCRYPTION_KEY: is not the key this database's secrets are sealed with \(they need key [0-9a-f]{16}, this process has [0-9a-f]{16}\)/,
      );
    } else {
      // Embedded: the key generated into DATA_DIR is lost (a volume for the data, none for the key).
      const dataDir = store.env['DATA_DIR'] as string;
      const keyFile = join(dataDir, 'release-api.signing-key-encryption.key');
      await lifetime(await startService('release-api', { DATA_DIR: dataDir }), storeSigningKey);
      const key = (await readFile(keyFile, 'utf8')).trim();
      await rm(keyFile);
      await refuses(
        await startService('release-api', { DATA_DIR: dataDir }),
        /^release-api: Invalid configuration: RELEASE_KEY_ENCRYPTION_KEY \(unset: the key generated into .*release-api\.signing-key-encryption\.key\): is not the key this database's secrets are sealed with/,
      );
      // With the original key given explicitly, the same data works again.
      await lifetime(await startService('release-api', { DATA_DIR: dataDir, RELEASE_KEY_ENCRYPTION_KEY: key }), storeSigningKey);
    }
  });
});
