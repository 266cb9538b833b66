import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { CatalogState } from '../src/catalog/catalog-state';
import { ResponseSigner } from '../src/signing/response-signer';
import { startFakeAuthService, startReleaseApp } from './support/release-app';
import { SEALING_KEY_FILE } from '../src/signing/sealing-key';

async function setup(env: Record<string, string>) {
  const database = await createTestDatabase(RELEASE_DATABASE);
  const auth = await startFakeAuthService();
  const started = await startReleaseApp(database.url, auth, { RELEASE_SIGNING_KEYS: '', ...env });
  const apps = [started.app];
  const ctx = {
    database,
    clock: started.clock,
    token: () => auth.mint(started.clock),
    replica: async () => {
      const other = await startReleaseApp(database.url, auth, { RELEASE_SIGNING_KEYS: '', ...env });
      apps.push(other.app);
      return other.app;
    },
    close: async () => {
      for (const app of apps) await app.close();
      await auth.close();
      await database.drop();
    },
  };
  return { sut: started.app, ctx };
}

function verifies(jwk: { x: string }, body: string, header: string): boolean {
  const sig = /sig="([^"]+)"/.exec(header)?.[1] ?? '';
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  return verify(null, Buffer.from(body), key, Buffer.from(sig, 'base64url'));
}

describe(ResponseSigner.name, () => {
  describe('generated keys (no RELEASE_SIGNING_KEYS)', () => {
    it('generates one key, stores it encrypted, and every replica signs with it', async () => {
      const { sut, ctx } = await setup({ RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url') });
      try {
        const keys = (await sut.inject({ method: 'GET', url: '/v1/keys' })).json().keys;
        expect(keys).toHaveLength(1);
        const answer = await sut.inject({ method: 'GET', url: '/v1/check?version=1.0.0' });
        expect(answer.headers['keyhaven-signature']).toContain(`keyid="${keys[0].kid}"`);
        expect(verifies(keys[0], answer.body, String(answer.headers['keyhaven-signature']))).toBe(true);

        const replica = await ctx.replica();
        expect((await replica.inject({ method: 'GET', url: '/v1/keys' })).json().keys).toEqual(keys);

        const rows = await sut.get(MikroORM).em.getConnection().execute('select kid, private_encrypted from release.signing_key');
        expect(rows).toHaveLength(1);
        expect(rows[0].private_encrypted).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/); // iv.ciphertext.tag
      } finally {
        await ctx.close();
      }
    });

    it('rotates: the new key signs, the old one stays published', async () => {
      const { sut, ctx } = await setup({ RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url') });
      try {
        const [old] = (await sut.get(ResponseSigner).publicKeys()).keys;
        const rotated = await sut.inject({ method: 'POST', url: '/v1/keys/rotate', headers: { authorization: `Bearer ${await ctx.token()}` } });
        expect(rotated.statusCode).toBe(201);
        const fresh = rotated.json();
        const keys = (await sut.inject({ method: 'GET', url: '/v1/keys' })).json().keys;
        expect(keys.map((k: { kid: string }) => k.kid)).toEqual([fresh.kid, old!.kid]);
        const answer = await sut.inject({ method: 'GET', url: '/v1/check?version=1.0.0' });
        expect(answer.headers['keyhaven-signature']).toContain(`keyid="${fresh.kid}"`);
        expect(verifies(fresh, answer.body, String(answer.headers['keyhaven-signature']))).toBe(true);
      } finally {
        await ctx.close();
      }
    });

    it('serialises concurrent rotations: 20 at once leave exactly one signing key and no 5xx, all audited', async () => {
      const { sut, ctx } = await setup({ RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url') });
      try {
        const token = await ctx.token();
        const answers = await Promise.all(
          Array.from({ length: 20 }, () => sut.inject({ method: 'POST', url: '/v1/keys/rotate', headers: { authorization: `Bearer ${token}` } })),
        );
        expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(201));
        const connection = sut.get(MikroORM).em.getConnection();
        const active: { kid: string }[] = await connection.execute('select kid from release.signing_key where retired_at is null');
        expect(active).toHaveLength(1);
        expect(answers.map((answer) => answer.json().kid)).toContain(active[0]?.kid);
        const audited: { n: number }[] = await connection.execute("select count(*)::int as n from release.audit_event where action = 'signing_key.rotate'");
        expect(audited[0]?.n).toBe(20);
        const answer = await sut.inject({ method: 'GET', url: '/v1/check?version=1.0.0' });
        expect(answer.headers['keyhaven-signature']).toContain(`keyid="${active[0]?.kid}"`);
      } finally {
        await ctx.close();
      }
    });

    it('drops cached answers on every replica at a rotation, and the retired key from /v1/keys once its answers expired', async () => {
      const { sut, ctx } = await setup({ RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'), RELEASE_CHECK_VALIDITY: '7d' });
      try {
        const replica = await ctx.replica();
        const signedBy = async (app: typeof sut) =>
          /keyid="([^"]+)"/.exec(String((await app.inject({ method: 'GET', url: '/v1/check?version=1.0.0' })).headers['keyhaven-signature']))?.[1];
        const old = await signedBy(sut);
        expect(await signedBy(replica)).toBe(old); // cached on both now
        const rotated = await sut.inject({ method: 'POST', url: '/v1/keys/rotate', headers: { authorization: `Bearer ${await ctx.token()}` } });
        const fresh = rotated.json().kid as string;
        expect(await signedBy(sut)).toBe(fresh);
        await replica.get(CatalogState).refresh(); // what its RELEASE_SEQUENCE_POLL timer does
        expect(await signedBy(replica)).toBe(fresh);
        const published = async () => (await sut.inject({ method: 'GET', url: '/v1/keys' })).json().keys.map((key: { kid: string }) => key.kid);
        // Answers signed by the old key just before the rotation are valid for 7 days…
        ctx.clock.advance(7 * 86_400_000);
        expect(await published()).toEqual([fresh, old]);
        // …after that (and a few minutes for replicas' polls and clock skew) nothing it signed can be.
        ctx.clock.advance(10 * 60_000);
        expect(await published()).toEqual([fresh]);
      } finally {
        await ctx.close();
      }
    });

    it('generates the encryption key into DATA_DIR when none is configured', async () => {
      const parent = mkdtempSync(join(tmpdir(), 'kh-release-'));
      // Embedded-mode configuration (no DATABASE_URL, no key), on the test database.
      const { sut, ctx } = await setup({ DATA_DIR: join(parent, 'data'), DATABASE_URL: '', RELEASE_KEY_ENCRYPTION_KEY: '' });
      try {
        expect((await sut.inject({ method: 'GET', url: '/v1/keys' })).json().keys).toHaveLength(1);
        expect(existsSync(join(parent, 'data', SEALING_KEY_FILE))).toBe(true);
      } finally {
        await ctx.close();
        rmSync(parent, { recursive: true, force: true });
      }
    });
  });

  describe('configured keys (RELEASE_SIGNING_KEYS)', () => {
    it('signs with the first and publishes all of them', async () => {
      const first = randomBytes(32).toString('base64url');
      const second = randomBytes(32).toString('base64url');
      const { sut, ctx } = await setup({ RELEASE_SIGNING_KEYS: `new-2026:${first},${second}` });
      try {
        const keys = (await sut.inject({ method: 'GET', url: '/v1/keys' })).json().keys;
        expect(keys.map((k: { kid: string }) => k.kid)).toEqual(['new-2026', expect.stringMatching(/^[\w-]{43}$/)]);
        const answer = await sut.inject({ method: 'GET', url: '/v1/check?version=1.0.0' });
        expect(answer.headers['keyhaven-signature']).toMatch(/^keyid="new-2026", sig="[\w-]{86}"$/);
        expect(verifies(keys[0], answer.body, String(answer.headers['keyhaven-signature']))).toBe(true);
        expect(verifies(keys[1], answer.body, String(answer.headers['keyhaven-signature']))).toBe(false);
        const stored = await sut.get(MikroORM).em.getConnection().execute('select count(*)::int as n from release.signing_key');
        expect(stored[0].n).toBe(0);
        const rotate = await sut.inject({ method: 'POST', url: '/v1/keys/rotate', headers: { authorization: `Bearer ${await ctx.token()}` } });
        expect(rotate.statusCode).toBe(409);
        expect((await sut.inject({ method: 'POST', url: '/v1/keys/rotate' })).statusCode).toBe(401);
      } finally {
        await ctx.close();
      }
    });
  });
});
