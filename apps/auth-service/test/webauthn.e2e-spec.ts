import { decodeClaims, Harness, PASSWORD, startHarness, TestUser } from './support/auth-harness';
import { CeremonyOverrides, SoftAuthenticator, SoftAuthenticatorOptions, SoftCredential } from './support/soft-authenticator';

describe('WebAuthn security keys and passkeys', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const post = (url: string, token: string | undefined, body: unknown = {}) => harness.request('POST', url, { token, body });

  async function register(
    token: string,
    key: SoftAuthenticator,
    name: string,
    options: { passkey?: boolean; overrides?: CeremonyOverrides & { reuse?: SoftCredential } } = {},
  ) {
    const creation = await post('/v1/me/factors/webauthn/options', token, { passkey: options.passkey ?? false, currentPassword: PASSWORD });
    expect(creation.statusCode).toBe(200);
    return post('/v1/me/factors/webauthn', token, { name, response: key.create(creation.json(), options.overrides) });
  }

  /** The second step with a security key: password → options → assertion. */
  async function keyStep(user: TestUser, key: SoftAuthenticator, overrides: CeremonyOverrides & { credential?: SoftCredential } = {}) {
    const pending = (await user.signIn()).accessToken;
    const options = await post('/v1/sessions/mfa/webauthn/options', pending);
    expect(options.statusCode).toBe(200);
    return { pending, options: options.json(), answer: await post('/v1/sessions/mfa/webauthn', pending, { response: key.get(options.json(), overrides) }) };
  }

  /** A user with one registered security key (and its recovery codes). */
  async function setup(keyOptions: SoftAuthenticatorOptions = {}) {
    const user = await harness.newUser();
    const key = new SoftAuthenticator(keyOptions);
    const registered = await register(await user.accessToken(), key, 'YubiKey');
    expect(registered.statusCode).toBe(201);
    const aal2 = async () => (await keyStep(user, key)).answer.json().accessToken as string;
    return { user, key, registered: registered.json(), aal2 };
  }

  const errorCode = (response: { json(): { error: { code: string } } }) => response.json().error.code;

  describe('POST /v1/me/factors/webauthn/options', () => {
    it('asks for a security key under the configured relying party', async () => {
      const user = await harness.newUser();
      const options = (await post('/v1/me/factors/webauthn/options', await user.accessToken(), { currentPassword: PASSWORD })).json();
      expect(options).toMatchObject({
        rp: { id: 'localhost', name: 'Keyhaven' },
        user: { name: user.email },
        attestation: 'none',
        excludeCredentials: [],
        authenticatorSelection: { residentKey: 'discouraged', userVerification: 'preferred' },
      });
      expect(options.challenge).toMatch(/^[\w-]{43}$/);
      expect(Buffer.from(options.user.id, 'base64url').toString('hex')).toBe(user.id.replace(/-/g, ''));
      expect(options.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toContain(-7);
    });

    it('asks a passkey to be discoverable and to verify the user', async () => {
      const user = await harness.newUser();
      const options = (await post('/v1/me/factors/webauthn/options', await user.accessToken(), { passkey: true, currentPassword: PASSWORD })).json();
      expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', requireResidentKey: true, userVerification: 'required' });
    });

    it('excludes the credentials already registered, and needs aal2 once a factor exists', async () => {
      const { user, key, aal2 } = await setup();
      const aal1 = await harness.request('POST', '/v1/me/factors/webauthn/options', { token: (await user.signIn()).accessToken, body: {} });
      expect(aal1.statusCode).toBe(403);
      const options = (await post('/v1/me/factors/webauthn/options', await aal2())).json();
      expect(options.excludeCredentials).toEqual([{ id: key.credentials[0]!.id, type: 'public-key', transports: ['usb'] }]);
    });

    it('refuses a pending token (wrong_token_use) and no token (401)', async () => {
      const { user } = await setup();
      const pending = (await user.signIn()).accessToken;
      expect(errorCode(await post('/v1/me/factors/webauthn/options', pending))).toBe('wrong_token_use');
      expect((await post('/v1/me/factors/webauthn/options', undefined)).statusCode).toBe(401);
    });
  });

  describe('POST /v1/me/factors/webauthn', () => {
    it('registers a named key with the first recovery codes; the factor list shows it', async () => {
      const { registered, aal2 } = await setup();
      expect(registered.factor).toMatchObject({ type: 'webauthn', name: 'YubiKey', confirmed: true, passkey: false, lastUsedAt: null });
      expect(registered.recoveryCodes).toHaveLength(10);
      const token = await aal2();
      const listed = (await harness.request('GET', '/v1/me/factors', { token })).json();
      expect(listed).toEqual([
        expect.objectContaining({ id: registered.factor.id, type: 'webauthn', name: 'YubiKey', createdAt: expect.any(String), lastUsedAt: expect.any(String) }),
      ]);
      const events = (await harness.request('GET', '/v1/me/security-events', { token })).json().map((e: { type: string }) => e.type);
      expect(events).toEqual(expect.arrayContaining(['factor_enrolled', 'factor_confirmed', 'mfa_succeeded']));
    });

    it('keeps several keys and passkeys; later ones bring no recovery codes', async () => {
      const { key, aal2 } = await setup();
      harness.clock.advance(1000);
      const second = await register(await aal2(), key, 'Backup key');
      expect(second.statusCode).toBe(201);
      expect(second.json().recoveryCodes).toBeUndefined();
      harness.clock.advance(1000);
      const passkey = await register(await aal2(), new SoftAuthenticator({ userVerification: true, transports: ['internal'] }), 'Laptop', { passkey: true });
      expect(passkey.statusCode).toBe(201);
      expect(passkey.json().factor).toMatchObject({ passkey: true });
      const names = (await harness.request('GET', '/v1/me/factors', { token: await aal2() })).json().map((f: { name: string }) => f.name);
      expect(names).toEqual(['YubiKey', 'Backup key', 'Laptop']);
    });

    it('refuses the same authenticator twice, on this account or another (409 credential_already_registered)', async () => {
      const { key, aal2 } = await setup();
      const again = await register(await aal2(), key, 'Same key', { overrides: { reuse: key.credentials[0]! } });
      expect(again.statusCode).toBe(409);
      expect(errorCode(again)).toBe('credential_already_registered');
      const other = await harness.newUser();
      const elsewhere = await register(await other.accessToken(), key, 'Borrowed', { overrides: { reuse: key.credentials[0]! } });
      expect(errorCode(elsewhere)).toBe('credential_already_registered');
    });

    it('refuses a duplicate name (409 factor_name_taken)', async () => {
      const { aal2 } = await setup();
      const duplicate = await register(await aal2(), new SoftAuthenticator(), 'YubiKey');
      expect(errorCode(duplicate)).toBe('factor_name_taken');
    });

    it('refuses a passkey from an authenticator that does not verify the user', async () => {
      const user = await harness.newUser();
      const refused = await register(await user.accessToken(), new SoftAuthenticator({ userVerification: false }), 'Not a passkey', { passkey: true });
      expect(refused.statusCode).toBe(401);
      expect(errorCode(refused)).toBe('webauthn_failed');
    });

    it.each([
      ['a wrong origin', { origin: 'https://evil.example' }, 'webauthn_failed'],
      ['another RP ID', { rpId: 'evil.example' }, 'webauthn_failed'],
      ['a challenge the server never issued', { challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 'challenge_not_found'],
    ] as const)('refuses %s with its code', async (_label, overrides, code) => {
      const user = await harness.newUser();
      const refused = await register(await user.accessToken(), new SoftAuthenticator(), 'Key', { overrides });
      expect(refused.statusCode).toBe(401);
      expect(errorCode(refused)).toBe(code);
      // The allowed origins and RP ID are configuration: a refusal does not tell a prober what to imitate.
      expect(refused.body).not.toContain('localhost');
    });

    it('refuses an expired registration challenge', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      const creation = (await post('/v1/me/factors/webauthn/options', token, { currentPassword: PASSWORD })).json();
      harness.clock.advance(5 * 60_000 + 1000);
      const late = await post('/v1/me/factors/webauthn', await user.accessToken(), { name: 'Key', response: new SoftAuthenticator().create(creation) });
      expect(errorCode(late)).toBe('challenge_expired');
    });

    it('answers malformed responses with 400/401 codes, never 500', async () => {
      const user = await harness.newUser();
      const token = await user.accessToken();
      const creation = (await post('/v1/me/factors/webauthn/options', token, { currentPassword: PASSWORD })).json();
      const good = new SoftAuthenticator().create(creation);
      const attempts = [
        { name: 'Key', response: 'not an object' },
        { name: 'Key', response: {} },
        { name: 'Key', response: { ...good, response: { clientDataJSON: '%%%' } } },
        { name: 'Key', response: { ...good, response: { ...good.response, attestationObject: 'AAAA' } } },
      ];
      for (const body of attempts) {
        const answer = await post('/v1/me/factors/webauthn', token, body);
        expect([400, 401]).toContain(answer.statusCode);
        expect(answer.json().error.code).toEqual(expect.any(String));
      }
    });
  });

  describe('POST /v1/sessions/mfa/webauthn', () => {
    it('lists every key of the account and turns the pending token into aal2 with amr hwk', async () => {
      const { user, key, aal2 } = await setup();
      const backup = new SoftAuthenticator();
      await register(await aal2(), backup, 'Backup');
      expect((await user.signIn())['methods']).toEqual(['webauthn', 'recovery_code']);
      const { options, answer } = await keyStep(user, backup);
      expect(options.allowCredentials.map((c: { id: string }) => c.id).sort()).toEqual([key.credentials[0]!.id, backup.credentials[0]!.id].sort());
      expect(options.userVerification).toBe('preferred');
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ aal: 2, mfaRequired: false, recoveryCodesRemaining: 10 });
      expect(decodeClaims(answer.json().accessToken)).toMatchObject({ token_use: 'access', aal: 2, amr: ['pwd', 'hwk', 'mfa'], sub: user.id });
    });

    it('adds amr user when the authenticator verified the user', async () => {
      const { user, key } = await setup({ userVerification: true });
      const { answer } = await keyStep(user, key);
      expect(decodeClaims(answer.json().accessToken)['amr']).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    });

    it('accepts an authenticator without a counter (always 0)', async () => {
      const { user, key } = await setup({ keepsCounter: false });
      expect((await keyStep(user, key)).answer.statusCode).toBe(200);
      expect((await keyStep(user, key)).answer.statusCode).toBe(200);
    });

    it('refuses a wrong origin (webauthn_failed)', async () => {
      const { user, key } = await setup();
      const { answer } = await keyStep(user, key, { origin: 'https://evil.example' });
      expect(answer.statusCode).toBe(401);
      expect(errorCode(answer)).toBe('webauthn_failed');
      expect(answer.json().error.message).toContain('this origin is not allowed');
      expect(answer.body).not.toContain('localhost');
    });

    it('refuses a bad signature (the library answers verified: false)', async () => {
      const { user, key } = await setup();
      const { answer } = await keyStep(user, key, { corruptSignature: true });
      expect(errorCode(answer)).toBe('webauthn_failed');
    });

    it('refuses a replayed assertion (its challenge is gone)', async () => {
      const { user, key } = await setup();
      const { options, answer } = await keyStep(user, key);
      expect(answer.statusCode).toBe(200);
      const pending = (await user.signIn()).accessToken;
      const replay = await post('/v1/sessions/mfa/webauthn', pending, { response: key.get(options, { counter: key.credentials[0]!.counter }) });
      expect(replay.statusCode).toBe(401);
      expect(errorCode(replay)).toBe('challenge_not_found');
    });

    it("refuses another user's credential (unknown_credential) and another user's challenge", async () => {
      const alice = await setup();
      const bob = await setup();
      const { answer } = await keyStep(alice.user, bob.key, { credential: bob.key.credentials[0]! });
      expect(answer.statusCode).toBe(401);
      expect(errorCode(answer)).toBe('unknown_credential');
      // Bob's challenge answered under Alice's pending token: bound to Bob, useless to Alice.
      const bobPending = (await bob.user.signIn()).accessToken;
      const bobOptions = (await post('/v1/sessions/mfa/webauthn/options', bobPending)).json();
      const alicePending = (await alice.user.signIn()).accessToken;
      const foreign = await post('/v1/sessions/mfa/webauthn', alicePending, { response: alice.key.get({ ...bobOptions, allowCredentials: [] }) });
      expect(errorCode(foreign)).toBe('challenge_not_found');
    });

    it('refuses an expired challenge', async () => {
      const { user, key } = await setup();
      const pending = (await user.signIn()).accessToken;
      const options = (await post('/v1/sessions/mfa/webauthn/options', pending)).json();
      harness.clock.advance(5 * 60_000 + 1000);
      const fresh = (await user.signIn()).accessToken;
      const late = await post('/v1/sessions/mfa/webauthn', fresh, { response: key.get(options) });
      expect(errorCode(late)).toBe('challenge_expired');
    });

    it('refuses a passkey-sign-in challenge in the second step (bound to its ceremony)', async () => {
      const { user, key } = await setup();
      const passkeyOptions = (await post('/v1/sessions/passkey/options', undefined)).json();
      const pending = (await user.signIn()).accessToken;
      const crossed = await post('/v1/sessions/mfa/webauthn', pending, { response: key.get(passkeyOptions) });
      expect(errorCode(crossed)).toBe('challenge_not_found');
    });

    it('refuses a counter that does not increase, audits a possible clone and mails the user', async () => {
      const { user, key, aal2 } = await setup();
      expect((await keyStep(user, key)).answer.statusCode).toBe(200);
      const stored = key.credentials[0]!.counter;
      const { answer } = await keyStep(user, key, { counter: stored });
      expect(answer.statusCode).toBe(401);
      expect(errorCode(answer)).toBe('counter_regression');
      const lower = await keyStep(user, key, { counter: 0 });
      expect(errorCode(lower.answer)).toBe('counter_regression');
      await harness.mailsSettled();
      const mail = await harness.smtp.waitFor((m) => m.to.includes(user.email) && /cloned/.test(m.subject));
      expect(mail.text).toContain('YubiKey');
      const events = (await harness.request('GET', '/v1/me/security-events', { token: await aal2() })).json();
      expect(events).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            type: 'webauthn_counter_regression',
            details: expect.objectContaining({ storedCounter: stored, receivedCounter: stored }),
          }),
        ]),
      );
    });

    it('counts failures toward the per-account limit shared with TOTP (429 too_many_attempts)', async () => {
      const { user, key } = await setup();
      for (let i = 0; i < 3; i++) {
        expect(errorCode((await keyStep(user, key, { origin: 'https://evil.example' })).answer)).toBe('webauthn_failed');
      }
      const held = await keyStep(user, key);
      expect(held.answer.statusCode).toBe(429);
      expect(errorCode(held.answer)).toBe('too_many_attempts');
      expect(held.answer.headers['retry-after']).toBe('30');
      // A recovery code is held back by the same counter.
      const viaRecovery = await post('/v1/sessions/mfa/recovery-code', held.pending, { code: 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA' });
      expect(viaRecovery.statusCode).toBe(429);
      harness.clock.advance(30_000);
      expect((await keyStep(user, key)).answer.statusCode).toBe(200);
    });

    it('takes one assertion exactly once out of many racing submissions', async () => {
      const { user, key } = await setup();
      const pendings = await Promise.all(Array.from({ length: 5 }, async () => (await user.signIn()).accessToken));
      const options = (await post('/v1/sessions/mfa/webauthn/options', pendings[0])).json();
      const response = key.get(options);
      const answers = await Promise.all(pendings.flatMap((pending) => [0, 1].map(() => post('/v1/sessions/mfa/webauthn', pending, { response }))));
      const statuses = answers.map((a) => a.statusCode);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      // The others found the challenge taken (401 challenge_not_found) or were held back by the attempt limit (429).
      expect(statuses.every((s) => s === 200 || s === 401 || s === 429)).toBe(true);
    });

    it('answers a garbage assertion with a code, never 500', async () => {
      const { user, key } = await setup();
      const { options } = await keyStep(user, key);
      const pending = (await user.signIn()).accessToken;
      const good = key.get(options);
      for (const response of [
        {},
        { ...good, response: { ...good.response, signature: '' } },
        { ...good, response: { ...good.response, authenticatorData: 'AA' } },
      ]) {
        const answer = await post('/v1/sessions/mfa/webauthn', pending, { response });
        expect(answer.statusCode).toBe(401);
      }
    });
  });

  describe('POST /v1/sessions/passkey', () => {
    async function withPasskey() {
      const user = await harness.newUser();
      const passkey = new SoftAuthenticator({ userVerification: true, transports: ['internal'], keepsCounter: false });
      const registered = await register(await user.accessToken(), passkey, 'Laptop', { passkey: true });
      expect(registered.statusCode).toBe(201);
      return { user, passkey };
    }

    const passkeyOptions = async () => (await post('/v1/sessions/passkey/options', undefined)).json();

    it('signs in without a password: empty allowCredentials, UV required → aal2', async () => {
      const { user, passkey } = await withPasskey();
      const options = await passkeyOptions();
      expect(options).toMatchObject({ rpId: 'localhost', allowCredentials: [], userVerification: 'required' });
      const answer = await post('/v1/sessions/passkey', undefined, { response: passkey.get(options) });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ aal: 2, mfaRequired: false, tokenType: 'Bearer' });
      expect(decodeClaims(answer.json().accessToken)).toMatchObject({ sub: user.id, aal: 2, amr: ['hwk', 'user', 'mfa'], token_use: 'access' });
      const events = (await harness.request('GET', '/v1/me/security-events', { token: answer.json().accessToken })).json();
      expect(events).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'passkey_signed_in', details: expect.objectContaining({ method: 'passkey' }) })]),
      );
    });

    it('refuses an unknown credential (401 unknown_credential)', async () => {
      const stranger = new SoftAuthenticator({ userVerification: true });
      stranger.create({ challenge: 'x', rp: { id: 'localhost' }, user: { id: 'AAAAAAAAAAAAAAAAAAAAAA' } });
      const answer = await post('/v1/sessions/passkey', undefined, { response: stranger.get(await passkeyOptions()) });
      expect(answer.statusCode).toBe(401);
      expect(errorCode(answer)).toBe('unknown_credential');
    });

    it('refuses a security key registered as a second factor, even a discoverable one that verifies the user (401 webauthn_failed)', async () => {
      const user = await harness.newUser();
      const securityKey = new SoftAuthenticator({ userVerification: true, transports: ['usb'] });
      expect((await register(await user.accessToken(), securityKey, 'YubiKey')).json().factor).toMatchObject({ passkey: false });
      const answer = await post('/v1/sessions/passkey', undefined, { response: securityKey.get(await passkeyOptions()) });
      expect(answer.statusCode).toBe(401);
      expect(answer.json().error).toMatchObject({ code: 'webauthn_failed', message: expect.stringMatching(/not as a passkey/) });
      // The same key still works as what it was registered as: the second step after the password.
      expect((await keyStep(user, securityKey)).answer.statusCode).toBe(200);
    });

    it('refuses an assertion without user verification', async () => {
      const { passkey } = await withPasskey();
      const answer = await post('/v1/sessions/passkey', undefined, { response: passkey.get(await passkeyOptions(), { userVerified: false }) });
      expect(errorCode(answer)).toBe('webauthn_failed');
    });

    it('refuses a user handle that does not name the owner', async () => {
      const { passkey } = await withPasskey();
      const other = await withPasskey();
      const response = passkey.get(await passkeyOptions());
      const forged = { ...response, response: { ...response.response, userHandle: other.passkey.credentials[0]!.userHandle } };
      expect(errorCode(await post('/v1/sessions/passkey', undefined, { response: forged }))).toBe('unknown_credential');
    });

    it('refuses a replayed passkey assertion and an expired challenge', async () => {
      const { passkey } = await withPasskey();
      const response = passkey.get(await passkeyOptions());
      expect((await post('/v1/sessions/passkey', undefined, { response })).statusCode).toBe(200);
      expect(errorCode(await post('/v1/sessions/passkey', undefined, { response }))).toBe('challenge_not_found');
      const options = await passkeyOptions();
      harness.clock.advance(5 * 60_000 + 1000);
      expect(errorCode(await post('/v1/sessions/passkey', undefined, { response: passkey.get(options) }))).toBe('challenge_expired');
    });
  });

  describe('POST /v1/admin/users/:id/factors/reset', () => {
    it('removes security keys and passkeys too', async () => {
      const { user, key, aal2 } = await setup();
      await register(await aal2(), new SoftAuthenticator({ userVerification: true }), 'Laptop', { passkey: true });
      const admin = await harness.newUser({ roles: ['admin'] });
      const reset = await post(`/v1/admin/users/${user.id}/factors/reset`, await admin.accessToken(), { reason: 'Lost both keys; identity checked' });
      expect(reset.statusCode).toBe(200);
      expect(reset.json()).toEqual({ removedFactors: 2, removedRecoveryCodes: 10 });
      expect(await user.signIn()).toMatchObject({ mfaRequired: false, methods: [], aal: 1 });
      // The old key no longer opens anything: a passkey sign-in with it names no known credential.
      const options = (await post('/v1/sessions/passkey/options', undefined)).json();
      expect(errorCode(await post('/v1/sessions/passkey', undefined, { response: key.get(options) }))).toBe('unknown_credential');
    });
  });

  describe('DELETE /v1/me/factors/:id', () => {
    it('removes one key; with the last one the recovery codes go and sign-in is password-only again', async () => {
      const { user, registered, aal2 } = await setup();
      const removed = await harness.request('DELETE', `/v1/me/factors/${registered.factor.id}`, { token: await aal2() });
      expect(removed.statusCode).toBe(204);
      const session = await user.signIn();
      expect(session).toMatchObject({ mfaRequired: false, aal: 1 });
      expect((await harness.request('GET', '/v1/me/recovery-codes', { token: session.accessToken })).json()).toEqual({ remaining: 0 });
    });
  });
});
