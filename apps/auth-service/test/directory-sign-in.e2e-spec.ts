import { Slapd, startSlapd } from '@keyhaven/testing';
import { totpCode } from '../src/factors/totp';
import { decodeClaims, Harness, PASSWORD, startHarness } from './support/auth-harness';
import { slapdForSuite } from './support/directory';

/**
 * Sign-in with directory credentials against a real OpenLDAP (Debian's slapd, StartTLS with a
 * self-signed CA, ppolicy): linking at first sign-in, the password checked by a bind every
 * time, directory locks honoured before any sync, hostile logins, and an outage that leaves
 * local accounts working.
 */
describe('directory sign-in (LDAP)', () => {
  let slapd: Slapd;
  let harness: Harness;

  beforeAll(async () => {
    slapd = await startSlapd({
      users: [
        { uid: 'ada', password: 'ada-directory-pw', mail: 'Ada@Example.test', cn: 'Ada Lovelace' },
        { uid: 'bob', password: 'bob-directory-pw', mail: 'bob@example.test' },
        { uid: 'cy', password: 'cy-directory-pw', mail: 'cy@example.test' },
        { uid: 'dee', password: 'dee-directory-pw', mail: 'dee@example.test' },
        { uid: 'eve', password: 'eve-directory-pw', mail: 'eve@example.test' },
        { uid: 'nomail', password: 'nomail-directory-pw' },
        { uid: 'fay', password: 'fay-directory-pw', mail: 'fay@example.test' },
      ],
    });
    harness = await startHarness({ ...slapd.env, LDAP_SYNC_INTERVAL: '0' });
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await slapd?.close();
  });

  const signIn = (body: Record<string, unknown>) => harness.request('POST', '/v1/sessions', { body });

  it('links a directory person at the first sign-in by login, then finds the same account by mail', async () => {
    const first = await signIn({ login: 'ada', password: 'ada-directory-pw' });
    expect(first.statusCode).toBe(200);
    const claims = decodeClaims(first.json().accessToken);
    expect(claims).toMatchObject({ email: 'ada@example.test', aal: 1, amr: ['pwd'] });
    const [row] = await harness.sql<{ password_hash: string | null; directory_id: string; directory_login: string; directory_dn: string }>(
      'select password_hash, directory_id, directory_login, directory_dn from auth.account where id = $1',
      [claims['sub']],
    );
    expect(row).toMatchObject({ password_hash: null, directory_login: 'ada', directory_dn: slapd.userDn('ada') });
    expect(row?.directory_id).toMatch(/^[0-9a-f-]{36}$/);

    const byMail = await signIn({ email: 'ada@example.test', password: 'ada-directory-pw' });
    expect(byMail.statusCode).toBe(200);
    expect(decodeClaims(byMail.json().accessToken)['sub']).toBe(claims['sub']);
    const events = (await harness.request('GET', '/v1/me/security-events', { token: byMail.json().accessToken })).json();
    expect(events.filter((event: { type: string }) => event.type === 'directory_linked')).toHaveLength(1);
  });

  it('refuses a wrong directory password, and never accepts a stale one after the directory changed it', async () => {
    expect((await signIn({ login: 'bob', password: 'bob-directory-pw' })).statusCode).toBe(200);
    expect((await signIn({ login: 'bob', password: 'wrong' })).json().error.code).toBe('invalid_credentials');
    await slapd.modify(`dn: ${slapd.userDn('bob')}\nchangetype: modify\nreplace: userPassword\nuserPassword: bob-new-pw\n`);
    expect((await signIn({ login: 'bob', password: 'bob-directory-pw' })).statusCode).toBe(401);
    expect((await signIn({ login: 'bob', password: 'bob-new-pw' })).statusCode).toBe(200);
  });

  it.each([
    ['an empty password (an unauthenticated bind would "succeed")', { login: 'ada', password: '' }],
    ['a login of *', { login: '*', password: 'ada-directory-pw' }],
    ['filter metacharacters', { login: 'ada)(uid=*', password: 'ada-directory-pw' }],
    ['a backslash', { login: 'ada\\2a', password: 'ada-directory-pw' }],
    ['a 10 kB login', { login: 'a'.repeat(10_000), password: 'ada-directory-pw' }],
    ['an unknown login', { login: 'nobody', password: 'whatever-pw' }],
    ['a login that is not a string', { login: ['ada'], password: 'ada-directory-pw' }],
  ])('answers 401 invalid_credentials to %s', async (_label, body) => {
    const answer = await signIn(body);
    expect(answer.statusCode).toBe(401);
    expect(answer.json().error.code).toBe('invalid_credentials');
  });

  it('refuses a login with NUL at the input gate (400 validation_failed), before any search', async () => {
    const answer = await signIn({ login: 'ada\u0000', password: 'ada-directory-pw' });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error.code).toBe('validation_failed');
  });

  it('refuses a person disabled in the directory at once, before any sync (pwdAccountLockedTime 000001010000Z)', async () => {
    expect((await signIn({ login: 'cy', password: 'cy-directory-pw' })).statusCode).toBe(200);
    await slapd.modify(`dn: ${slapd.userDn('cy')}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
    const answer = await signIn({ login: 'cy', password: 'cy-directory-pw' });
    expect(answer.statusCode).toBe(401);
    expect(answer.json().error.code).toBe('invalid_credentials');
  });

  it("honours the directory's own lockout after wrong passwords (ppolicy)", async () => {
    for (let i = 0; i < 3; i++) expect((await signIn({ login: 'dee', password: `wrong-${i}` })).statusCode).toBe(401);
    expect((await signIn({ login: 'dee', password: 'dee-directory-pw' })).statusCode).toBe(401);
  });

  it('refuses to link an entry without mail (409 directory_link_conflict)', async () => {
    const answer = await signIn({ login: 'nomail', password: 'nomail-directory-pw' });
    expect(answer.statusCode).toBe(409);
    expect(answer.json().error.code).toBe('directory_link_conflict');
  });

  it('gives directory accounts second factors exactly like local ones (enrollment re-checks the password with the directory)', async () => {
    const token = (await signIn({ login: 'eve', password: 'eve-directory-pw' })).json().accessToken;
    const wrong = await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: 'not-it' } });
    expect(wrong.statusCode).toBe(401);
    const enrolled = await harness.request('POST', '/v1/me/factors/totp', { token, body: { name: 'Phone', currentPassword: 'eve-directory-pw' } });
    expect(enrolled.statusCode).toBe(201);
    const { id, secret } = enrolled.json();
    expect(
      (await harness.request('POST', `/v1/me/factors/totp/${id}/confirm`, { token, body: { code: await totpCode(secret, harness.clock.nowMs()) } })).statusCode,
    ).toBe(200);
    harness.clock.advance(30_000);
    const pending = await signIn({ login: 'eve', password: 'eve-directory-pw' });
    expect(pending.json()).toMatchObject({ mfaRequired: true, aal: 1 });
    const full = await harness.request('POST', '/v1/sessions/mfa/totp', {
      token: pending.json().accessToken,
      body: { code: await totpCode(secret, harness.clock.nowMs()) },
    });
    expect(full.statusCode).toBe(200);
    expect(full.json().aal).toBe(2);
  });

  it('refuses a password change for a directory account (409 password_managed_by_directory) and stores no local hash', async () => {
    const signedIn = await signIn({ login: 'fay', password: 'fay-directory-pw' });
    const token = signedIn.json().accessToken;
    const change = await harness.request('POST', '/v1/me/password', {
      token,
      body: { currentPassword: 'fay-directory-pw', newPassword: 'a local passphrase that must not exist' },
    });
    expect(change.statusCode).toBe(409);
    expect(change.json().error.code).toBe('password_managed_by_directory');
    const [row] = await harness.sql<{ password_hash: string | null }>('select password_hash from auth.account where id = $1', [decodeClaims(token)['sub']]);
    expect(row?.password_hash).toBeNull();
    expect((await signIn({ email: 'fay@example.test', password: 'a local passphrase that must not exist' })).statusCode).toBe(401);
    expect((await signIn({ login: 'fay', password: 'fay-directory-pw' })).statusCode).toBe(200);
  });

  it('keeps local accounts (the break-glass admin) working while the directory is down; directory users get 503', async () => {
    const admin = await harness.newUser({ roles: ['admin'] });
    await slapd.stop();
    try {
      const down = await signIn({ login: 'ada', password: 'ada-directory-pw' });
      expect(down.statusCode).toBe(503);
      expect(down.json().error.code).toBe('directory_unavailable');
      const local = await signIn({ email: admin.email, password: PASSWORD });
      expect(local.statusCode).toBe(200);
      // A local account's wrong password is a plain 401, the directory is not asked.
      expect((await signIn({ email: admin.email, password: 'wrong-password' })).statusCode).toBe(401);
    } finally {
      await slapd.start();
    }
    expect((await signIn({ login: 'ada', password: 'ada-directory-pw' })).statusCode).toBe(200);
  });
});

describe('directory sign-in over LDAPS, and a certificate the service does not trust', () => {
  const slapd = slapdForSuite();

  it('signs in over ldaps:// with LDAP_CA_FILE', async () => {
    const harness = await startHarness({ ...slapd.env, LDAP_URL: slapd.ldapsUrl, LDAP_SYNC_INTERVAL: '0' });
    try {
      expect((await harness.request('POST', '/v1/sessions', { body: { login: 'ada', password: 'ada-directory-pw' } })).statusCode).toBe(200);
    } finally {
      await harness.close();
    }
  });

  it('answers 503 when the certificate is not signed by a trusted CA (no fallback to plain LDAP)', async () => {
    const { LDAP_CA_FILE: _ca, ...withoutCa } = slapd.env;
    const harness = await startHarness({ ...withoutCa, LDAP_SYNC_INTERVAL: '0' });
    try {
      const answer = await harness.request('POST', '/v1/sessions', { body: { login: 'ada', password: 'ada-directory-pw' } });
      expect(answer.statusCode).toBe(503);
      expect(answer.json().error.code).toBe('directory_unavailable');
    } finally {
      await harness.close();
    }
  });
});
