import { randomBytes } from 'node:crypto';
import { ConfigError } from '@keyhaven/config';
import { loadAuthConfig } from './auth.config';

const key = () => `k1:${randomBytes(32).toString('base64')}`;

describe('loadAuthConfig', () => {
  it('has defaults for embedded mode', () => {
    const config = loadAuthConfig({});
    expect(config).toMatchObject({
      encryptionKeys: undefined,
      signupOpen: true,
      mfaEnforced: { mode: 'off' },
      stepUpMaxAgeMs: 10 * 60_000,
      attempts: { free: 3, lockAfter: 10 },
      bootstrap: undefined,
    });
  });

  it('stops the boot with DATABASE_URL but no AUTH_ENCRYPTION_KEYS, naming the variable', () => {
    expect(() => loadAuthConfig({ DATABASE_URL: 'postgres://db/x' })).toThrow(ConfigError);
    expect(() => loadAuthConfig({ DATABASE_URL: 'postgres://db/x' })).toThrow(/AUTH_ENCRYPTION_KEYS: is required when DATABASE_URL is set/);
    expect(loadAuthConfig({ DATABASE_URL: 'postgres://db/x', AUTH_ENCRYPTION_KEYS: key() }).encryptionKeys).toHaveLength(1);
  });

  it('refuses a malformed key ring', () => {
    expect(() => loadAuthConfig({ AUTH_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' })).toThrow(/AUTH_ENCRYPTION_KEYS: key k1 must be 32 bytes/);
  });

  it.each([
    ['all', { mode: 'all' }],
    ['off', { mode: 'off' }],
    ['admin, ops', { mode: 'roles', roles: ['admin', 'ops'] }],
  ])('reads AUTH_MFA_ENFORCED=%j', (value, expected) => {
    expect(loadAuthConfig({ AUTH_MFA_ENFORCED: value }).mfaEnforced).toEqual(expected);
  });

  it('takes the bootstrap account with default roles admin,ops', () => {
    expect(loadAuthConfig({ AUTH_BOOTSTRAP_EMAIL: 'root@example.test', AUTH_BOOTSTRAP_PASSWORD: 'long enough pass' }).bootstrap).toEqual({
      email: 'root@example.test',
      password: 'long enough pass',
      roles: ['admin', 'ops'],
    });
    expect(() => loadAuthConfig({ AUTH_BOOTSTRAP_EMAIL: 'root@example.test' })).toThrow(/set both or neither/);
  });
  describe('WebAuthn', () => {
    it('defaults to localhost, the local account page and no attestation', () => {
      expect(loadAuthConfig({}).webauthn).toEqual({
        rpId: 'localhost',
        rpName: 'Keyhaven',
        origins: ['http://localhost:3000'],
        userVerification: 'preferred',
        attestation: 'none',
        allowedAaguids: [],
        attachment: undefined,
        residentKey: 'discouraged',
        challengeTtlMs: 5 * 60_000,
      });
    });

    it('reads a production relying party', () => {
      const config = loadAuthConfig({
        AUTH_WEBAUTHN_RP_ID: 'example.com',
        AUTH_WEBAUTHN_ORIGINS: 'https://auth.example.com,https://example.com:8443/',
        AUTH_WEBAUTHN_USER_VERIFICATION: 'required',
        AUTH_WEBAUTHN_ATTESTATION: 'direct',
        AUTH_WEBAUTHN_AAGUIDS: 'CB69481E-8FF7-4039-93EC-0A2729A154A8',
        AUTH_WEBAUTHN_ATTACHMENT: 'cross-platform',
        AUTH_WEBAUTHN_CHALLENGE_TTL: '2m',
      });
      expect(config.webauthn).toMatchObject({
        rpId: 'example.com',
        origins: ['https://auth.example.com', 'https://example.com:8443'],
        userVerification: 'required',
        attestation: 'direct',
        allowedAaguids: ['cb69481e-8ff7-4039-93ec-0a2729a154a8'],
        attachment: 'cross-platform',
        challengeTtlMs: 120_000,
      });
    });

    it.each([
      [{ AUTH_WEBAUTHN_RP_ID: 'https://example.com' }, /AUTH_WEBAUTHN_RP_ID: expected a domain name/],
      [{ AUTH_WEBAUTHN_RP_ID: '10.0.0.1', AUTH_WEBAUTHN_ORIGINS: 'http://10.0.0.1' }, /AUTH_WEBAUTHN_RP_ID: expected a domain name/],
      [{ AUTH_WEBAUTHN_ORIGINS: 'http://localhost:3000/account' }, /AUTH_WEBAUTHN_ORIGINS: expected origins/],
      [
        { AUTH_WEBAUTHN_RP_ID: 'example.com', AUTH_WEBAUTHN_ORIGINS: 'https://example.org' },
        /AUTH_WEBAUTHN_ORIGINS: https:\/\/example.org is not on the RP ID example.com/,
      ],
      [{ AUTH_WEBAUTHN_RP_ID: 'example.com', AUTH_WEBAUTHN_ORIGINS: 'https://badexample.com' }, /is not on the RP ID/],
      [{ AUTH_WEBAUTHN_ATTESTATION: 'direct' }, /AUTH_WEBAUTHN_AAGUIDS: is required with AUTH_WEBAUTHN_ATTESTATION=direct/],
      [{ AUTH_WEBAUTHN_ATTESTATION: 'direct', AUTH_WEBAUTHN_AAGUIDS: 'yubikey' }, /AUTH_WEBAUTHN_AAGUIDS: expected AAGUIDs/],
      [{ AUTH_WEBAUTHN_AAGUIDS: 'cb69481e-8ff7-4039-93ec-0a2729a154a8' }, /needs AUTH_WEBAUTHN_ATTESTATION=direct/],
      [{ AUTH_WEBAUTHN_USER_VERIFICATION: 'always' }, /AUTH_WEBAUTHN_USER_VERIFICATION/],
      [{ AUTH_WEBAUTHN_CHALLENGE_TTL: 'soon' }, /AUTH_WEBAUTHN_CHALLENGE_TTL/],
    ])('stops the boot on %j', (source, message) => {
      expect(() => loadAuthConfig(source)).toThrow(ConfigError);
      expect(() => loadAuthConfig(source)).toThrow(message);
    });
  });
});
