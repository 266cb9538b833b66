import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../src/app/release-database';
import { ResponseSigner } from '../src/signing/response-signer';
import { startFakeAuthService, startReleaseApp } from './support/release-app';

async function setup(env: Record<string, string>) {
  const database = await createTestDatabase(RELEASE_DATABASE);
  const auth = await startFakeAuthService();
  const started = await startReleaseApp(database.url, auth, { RELEASE_SIGNING_KEYS: '', ...env });
  const apps = [started.app];
  const ctx = {
    database,
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

    it('generates the encryption key into DATA_DIR when none is configured', async () => {
      const parent = mkdtempSync(join(tmpdir(), 'kh-release-'));
      const { sut, ctx } = await setup({ DATA_DIR: join(parent, 'data') });
      try {
        expect((await sut.inject({ method: 'GET', url: '/v1/keys' })).json().keys).toHaveLength(1);
        expect(existsSync(join(parent, 'data.signing-key-encryption.key'))).toBe(true);
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
