import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { MikroORM } from '@mikro-orm/postgresql';
import { AccountsService } from '../src/accounts/accounts.service';
import { PasswordHasher } from '../src/accounts/password-hasher';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service';
import { decodeClaims, Harness, PASSWORD, startHarness } from './support/auth-harness';

describe('accounts and sessions', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_BOOTSTRAP_EMAIL: 'Root@Example.test', AUTH_BOOTSTRAP_PASSWORD: PASSWORD });
  });

  afterAll(async () => {
    await harness?.close();
  });

  describe('POST /v1/accounts', () => {
    it('creates an account with a normalised email', async () => {
      const response = await harness.request('POST', '/v1/accounts', { body: { email: '  Grace@Example.TEST ', password: PASSWORD } });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ id: expect.any(String), email: 'grace@example.test' });
    });

    it('answers 409 email_taken for the same address in other spelling', async () => {
      await harness.request('POST', '/v1/accounts', { body: { email: 'linus@example.test', password: PASSWORD } });
      const again = await harness.request('POST', '/v1/accounts', { body: { email: 'LINUS@example.test', password: PASSWORD } });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('email_taken');
    });

    it.each(['short', 'password123', 'qwerty123'])('answers 400 weak_password for %j', async (password) => {
      const response = await harness.request('POST', '/v1/accounts', { body: { email: 'weak@example.test', password } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('weak_password');
    });

    it('answers 400 validation_failed for a body that is not an email', async () => {
      const response = await harness.request('POST', '/v1/accounts', { body: { email: 'nope', password: PASSWORD } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    });

    it('stores an Argon2id hash with the OWASP parameters', async () => {
      const user = await harness.newUser();
      const rows = await harness.app.get(AccountsService)['em'].getConnection().execute('select password_hash from auth.account where id = ?', [user.id]);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });
  });

  describe('POST /v1/sessions', () => {
    it('answers a full aal1 session without a factor, verifiable with the published JWKS', async () => {
      const user = await harness.newUser();
      const answer = await user.signIn();
      expect(answer).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        aal: 1,
        mfaRequired: false,
        methods: [],
        enrollmentRequired: false,
        refreshToken: expect.stringMatching(/^khr_[A-Za-z0-9_-]{91}$/),
        refreshExpiresIn: 14 * 86_400,
      });
      const jwks = (await harness.request('GET', '/.well-known/jwks.json')).json();
      expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
      const { payload, protectedHeader } = await jwtVerify(answer.accessToken, createLocalJWKSet(jwks), {
        issuer: 'http://localhost:3000',
        audience: 'keyhaven',
        currentDate: harness.clock.now(),
      });
      expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: jwks.keys[0].kid });
      expect(payload).toMatchObject({ sub: user.id, email: user.email, roles: [], aal: 1, amr: ['pwd'], token_use: 'access', sid: expect.any(String) });
      expect(payload.auth_time).toBe(Math.floor(harness.clock.nowMs() / 1000));
    });

    it('answers one 401 invalid_credentials for a wrong password and an unknown email, both after a real hash check', async () => {
      const user = await harness.newUser();
      const verify = jest.spyOn(harness.app.get(PasswordHasher), 'verify');
      const wrong = await harness.request('POST', '/v1/sessions', { body: { email: user.email, password: 'not the password' } });
      const unknown = await harness.request('POST', '/v1/sessions', { body: { email: 'nobody@example.test', password: 'not the password' } });
      expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
      expect(wrong.json()).toEqual(unknown.json());
      expect(wrong.json().error.code).toBe('invalid_credentials');
      // Equal work: the unknown email went through one Argon2id verification too (of the decoy).
      expect(verify).toHaveBeenCalledTimes(2);
      expect(verify.mock.calls[1]![0]).toBeUndefined();
      verify.mockRestore();
    });

    it('answers 401 for a missing password', async () => {
      const response = await harness.request('POST', '/v1/sessions', { body: { email: 'x@example.test' } });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('invalid_credentials');
    });

    it('refuses an expired token and a token with a foreign signature', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      expect((await harness.request('GET', '/v1/me/factors', { token })).statusCode).toBe(200);
      const forged = `${token.split('.').slice(0, 2).join('.')}.${Buffer.alloc(64).toString('base64url')}`;
      expect((await harness.request('GET', '/v1/me/factors', { token: forged })).json().error.code).toBe('invalid_token');
      harness.clock.advance(16 * 60_000);
      const expired = await harness.request('GET', '/v1/me/factors', { token });
      expect(expired.statusCode).toBe(401);
      expect(expired.json().error.code).toBe('invalid_token');
    });
  });

  describe('bootstrap', () => {
    it('created the bootstrap account with roles admin and ops, once', async () => {
      await harness.app.get(AccountsService).bootstrap();
      await harness.app.get(AccountsService).bootstrap();
      const answer = await harness.request('POST', '/v1/sessions', { body: { email: 'root@example.test', password: PASSWORD } });
      expect(answer.statusCode).toBe(200);
      expect(decodeClaims(answer.json().accessToken)['roles']).toEqual(['admin', 'ops']);
    });
  });

  describe('signing key rotation', () => {
    it('keeps the old public key published until its tokens have expired', async () => {
      const admin = (await harness.request('POST', '/v1/sessions', { body: { email: 'root@example.test', password: PASSWORD } })).json().accessToken;
      const before = (await harness.request('GET', '/.well-known/jwks.json')).json().keys.map((k: { kid: string }) => k.kid);
      const rotated = await harness.request('POST', '/v1/admin/signing-keys/rotate', { token: admin });
      expect(rotated.statusCode).toBe(200);
      const after = (await harness.request('GET', '/.well-known/jwks.json')).json().keys.map((k: { kid: string }) => k.kid);
      expect(after).toEqual([rotated.json().kid, ...before]);
      // A token signed by the retired key still works while it lives…
      expect((await harness.request('GET', '/v1/me/factors', { token: admin })).statusCode).toBe(200);
      // …and new tokens carry the new kid.
      const fresh = (await harness.request('POST', '/v1/sessions', { body: { email: 'root@example.test', password: PASSWORD } })).json().accessToken;
      expect(JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url').toString()).kid).toBe(rotated.json().kid);
      harness.clock.advance(60 * 60_000);
      const later = (await harness.request('GET', '/.well-known/jwks.json')).json().keys.map((k: { kid: string }) => k.kid);
      expect(later).toEqual([rotated.json().kid]);
    });

    it('serialises concurrent rotations: 20 at once leave exactly one active key and no 5xx', async () => {
      const admin = (await harness.request('POST', '/v1/sessions', { body: { email: 'root@example.test', password: PASSWORD } })).json().accessToken;
      const answers = await Promise.all(Array.from({ length: 20 }, () => harness.request('POST', '/v1/admin/signing-keys/rotate', { token: admin })));
      expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(200));
      const kids = answers.map((answer) => answer.json().kid as string);
      expect(new Set(kids).size).toBe(20);
      const active: { kid: string }[] = await harness.app.get(MikroORM).em.getConnection().execute('select kid from auth.signing_key where retired_at is null');
      expect(active).toHaveLength(1);
      expect(kids).toContain(active[0]?.kid);
      const fresh = (await harness.request('POST', '/v1/sessions', { body: { email: 'root@example.test', password: PASSWORD } })).json().accessToken;
      expect(JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url').toString()).kid).toBe(active[0]?.kid);
    });

    it('stops verifying tokens of a key retired longer than a token lives, and tokens that live too long', async () => {
      const keys = harness.app.get(SigningKeysService);
      const signed = await harness.request('POST', '/v1/sessions', { body: { email: 'root@example.test', password: PASSWORD } });
      const claims = decodeClaims(signed.json().accessToken);
      const mint = async (lifetimeSeconds: number) => {
        const { kid, privateKey } = await keys.activeKey();
        const now = Math.floor(harness.clock.nowMs() / 1000);
        return new SignJWT({ ...claims, iat: now, exp: now + lifetimeSeconds }).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(privateKey);
      };
      // A year-long token from the service's own active key: its lifetime alone refuses it.
      const yearLong = await harness.request('GET', '/v1/me/factors', { token: await mint(365 * 86_400) });
      expect(yearLong.statusCode).toBe(401);
      expect(yearLong.json().error).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/lives longer/) });
      // The old key's private half (as a thief would hold it), then a rotation.
      const old = await keys.activeKey();
      const admin = signed.json().accessToken;
      expect((await harness.request('POST', '/v1/admin/signing-keys/rotate', { token: admin })).statusCode).toBe(200);
      const withOldKey = async () => {
        const now = Math.floor(harness.clock.nowMs() / 1000);
        return new SignJWT({ ...claims, iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'ES256', kid: old.kid, typ: 'JWT' }).sign(old.privateKey);
      };
      // Minutes after the rotation the old key still verifies (tokens it signed may be alive)…
      harness.clock.advance(5 * 60_000);
      expect((await harness.request('GET', '/v1/me/factors', { token: await withOldKey() })).statusCode).toBe(200);
      // …but once every token it signed has expired (15 min + 5 min grace), it opens nothing.
      harness.clock.advance(16 * 60_000);
      const late = await harness.request('GET', '/v1/me/factors', { token: await withOldKey() });
      expect(late.statusCode).toBe(401);
      expect(late.json().error.code).toBe('invalid_token');
      const published = (await harness.request('GET', '/.well-known/jwks.json')).json().keys.map((k: { kid: string }) => k.kid);
      expect(published).not.toContain(old.kid);
    });
  });
});

describe('closed sign-up', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_SIGNUP: 'closed' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('answers 403 signup_closed', async () => {
    const response = await harness.request('POST', '/v1/accounts', { body: { email: 'new@example.test', password: PASSWORD } });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('signup_closed');
  });
});
