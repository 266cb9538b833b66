import { isUnder, normaliseDn, parseDn } from './dn';

describe(normaliseDn.name, () => {
  it('gives one spelling to DNs a server writes differently', () => {
    expect(normaliseDn('CN=Admins, OU=Groups,DC=Example,DC=com')).toBe('cn=admins,ou=groups,dc=example,dc=com');
    expect(normaliseDn('cn=a+uid=b,dc=x')).toBe(normaliseDn('uid=B + cn=A,dc=x'));
    expect(normaliseDn('cn=Smith\\, John,dc=x')).toBe('cn=smith\\, john,dc=x');
    expect(normaliseDn('cn=\\41da,dc=x')).toBe('cn=ada,dc=x');
  });

  it.each(['', 'people', 'cn=,dc=x', 'cn=a,,dc=x', '=a', 'cn=a\\', 'cn=a"b', 'c n=a', 'cn=a\0'])('refuses %j', (text) => {
    expect(parseDn(text)).toBeUndefined();
  });

  it('knows what lies under a base', () => {
    expect(isUnder('uid=a,ou=people,dc=x', 'ou=people,dc=x')).toBe(true);
    expect(isUnder('uid=a,ou=former,dc=x', 'ou=people,dc=x')).toBe(false);
  });
});
