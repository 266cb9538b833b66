import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@keyhaven/config';
import { loadAuthConfig } from '../config/auth.config';
import { nextSyncAt, syncCron } from './directory.config';

const BASE = {
  LDAP_URL: 'ldap://ldap.example.com',
  LDAP_BIND_DN: 'cn=keyhaven,ou=services,dc=example,dc=com',
  LDAP_BIND_PASSWORD: 'service-secret',
  LDAP_USER_BASE_DN: 'ou=people,dc=example,dc=com',
};

describe('directory configuration (LDAP_*)', () => {
  it('is off without LDAP_URL', () => {
    expect(loadAuthConfig({}).directory).toBeUndefined();
  });

  it('has the OpenLDAP defaults, StartTLS on for ldap://', () => {
    expect(loadAuthConfig(BASE).directory).toMatchObject({
      url: 'ldap://ldap.example.com',
      startTls: true,
      flavor: 'openldap',
      loginAttr: 'uid',
      idAttr: 'entryUUID',
      mailAttr: 'mail',
      userFilter: '(objectClass=inetOrgPerson)',
      syncIntervalMs: 3_600_000,
      maxLockPercent: 10,
      pageSize: 500,
    });
  });

  it('takes the Active Directory defaults and no StartTLS for ldaps://', () => {
    expect(loadAuthConfig({ ...BASE, LDAP_URL: 'ldaps://dc1.corp.example:636', LDAP_FLAVOR: 'ad' }).directory).toMatchObject({
      startTls: false,
      loginAttr: 'sAMAccountName',
      idAttr: 'objectGUID',
    });
  });

  it('reads LDAP_GROUP_ROLES with one spelling per DN', () => {
    const config = loadAuthConfig({
      ...BASE,
      LDAP_GROUP_BASE_DN: 'ou=groups,dc=example,dc=com',
      LDAP_GROUP_ROLES: '{"CN=Admins, OU=Groups,DC=example,DC=com":"admin","cn=sre,ou=groups,dc=example,dc=com":["ops","admin"]}',
    }).directory;
    expect(config?.groupRoles).toEqual(
      new Map([
        ['cn=admins,ou=groups,dc=example,dc=com', ['admin']],
        ['cn=sre,ou=groups,dc=example,dc=com', ['ops', 'admin']],
      ]),
    );
  });

  it('reads the bind password from LDAP_BIND_PASSWORD_FILE', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kh-ldap-')), 'pw');
    writeFileSync(file, 'from-a-file\n');
    const { LDAP_BIND_PASSWORD: _pw, ...rest } = BASE;
    expect(loadAuthConfig({ ...rest, LDAP_BIND_PASSWORD_FILE: file }).directory?.bindPassword).toBe('from-a-file');
  });

  it.each([
    [{ LDAP_URL: 'http://ldap.example.com' }, /LDAP_URL: expected a URL \(ldap or ldaps\)/],
    [{ LDAP_URL: 'ldap://ldap.example.com/dc=x' }, /LDAP_URL: expected ldap:\/\/host/],
    [{ LDAP_USER_FILTER: '(uid=*' }, /LDAP_USER_FILTER: expected an LDAP filter/],
    [{ LDAP_USER_FILTER: 'uid=ada' }, /LDAP_USER_FILTER: expected an LDAP filter/],
    [{ LDAP_GROUP_FILTER: '(&(objectClass=group)' }, /LDAP_GROUP_FILTER: expected an LDAP filter/],
    [{ LDAP_USER_BASE_DN: 'people' }, /LDAP_USER_BASE_DN: expected a DN/],
    [{ LDAP_BIND_DN: 'cn=a,,dc=x' }, /LDAP_BIND_DN: expected a DN/],
    [{ LDAP_BIND_PASSWORD: '' }, /LDAP_BIND_PASSWORD: is required/],
    [{ LDAP_LOGIN_ATTR: 'uid)(x' }, /LDAP_LOGIN_ATTR: expected an attribute name/],
    [{ LDAP_FLAVOR: 'novell' }, /LDAP_FLAVOR: expected one of openldap, ad, 389ds, generic/],
    [{ LDAP_GROUP_ROLES: '{"cn=admins,dc=x":"admin"}' }, /LDAP_GROUP_BASE_DN: is required with LDAP_GROUP_ROLES/],
    [{ LDAP_GROUP_BASE_DN: 'ou=g,dc=x', LDAP_GROUP_ROLES: '["admin"]' }, /LDAP_GROUP_ROLES: expected a JSON object/],
    [{ LDAP_GROUP_BASE_DN: 'ou=g,dc=x', LDAP_GROUP_ROLES: '{"admins":"admin"}' }, /LDAP_GROUP_ROLES: "admins" is not a DN/],
    [{ LDAP_GROUP_BASE_DN: 'ou=g,dc=x', LDAP_GROUP_ROLES: '{"cn=a,dc=x":"Not A Role"}' }, /LDAP_GROUP_ROLES: the roles of cn=a,dc=x/],
    [{ LDAP_SYNC_INTERVAL: '7m' }, /LDAP_SYNC_INTERVAL: expected 0/],
    [{ LDAP_SYNC_MAX_LOCK_PERCENT: '150' }, /LDAP_SYNC_MAX_LOCK_PERCENT: expected an integer from 0 to 100/],
    [{ LDAP_CA_FILE: '/nonexistent/ca.pem' }, /LDAP_CA_FILE: cannot read \/nonexistent\/ca.pem \(ENOENT\)/],
    [{ LDAP_URL: 'ldaps://x', LDAP_STARTTLS: 'true' }, /LDAP_STARTTLS: only for ldap:\/\//],
  ])('refuses to boot on %j, naming the variable', (change, message) => {
    expect(() => loadAuthConfig({ ...BASE, ...change })).toThrow(ConfigError);
    expect(() => loadAuthConfig({ ...BASE, ...change })).toThrow(message);
  });

  it('never puts the bind password into a boot error', () => {
    expect(() => loadAuthConfig({ ...BASE, LDAP_USER_FILTER: '(' })).not.toThrow(/service-secret/);
  });
});

describe(syncCron.name, () => {
  it.each([
    [60_000, '* * * * *'],
    [15 * 60_000, '*/15 * * * *'],
    [3_600_000, '0 * * * *'],
    [6 * 3_600_000, '0 */6 * * *'],
    [24 * 3_600_000, '0 */24 * * *'],
    [7 * 60_000, undefined],
    [5 * 3_600_000, undefined],
    [90_000, undefined],
  ])('turns %d ms into %j', (ms, cron) => {
    expect(syncCron(ms)).toBe(cron);
  });

  it('computes the next tick on the UTC grid', () => {
    expect(nextSyncAt(3_600_000, new Date('2026-11-30T09:20:00Z'))?.toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(nextSyncAt(0, new Date())).toBeUndefined();
  });
});
