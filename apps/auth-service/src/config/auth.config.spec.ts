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
});
