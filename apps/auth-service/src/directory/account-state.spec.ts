import { accountState } from './account-state';

const NOW = new Date('2026-11-30T12:00:00Z');
/** A Windows FILETIME (100-ns ticks since 1601) for a JS date. */
const filetime = (date: Date) => String(BigInt(date.getTime()) * 10_000n + 116_444_736_000_000_000n);

describe(accountState.name, () => {
  it('openldap: the administrator lock 000001010000Z disables, another time is a temporary lockout', () => {
    expect(accountState({ pwdAccountLockedTime: '000001010000Z' }, 'openldap', NOW)).toEqual({ disabled: true, disabledBy: 'pwdAccountLockedTime' });
    expect(accountState({ pwdAccountLockedTime: '20261130115500Z' }, 'openldap', NOW)).toEqual({ disabled: false, lockedOutUntil: '2026-11-30T11:55:00.000Z' });
    expect(accountState({ pwdAccountLockedTime: [] as string[] }, 'openldap', NOW)).toEqual({ disabled: false });
  });

  it('ad: userAccountControl bit 0x2, or accountExpires in the past; lockoutTime is only reported', () => {
    expect(accountState({ userAccountControl: '514' }, 'ad', NOW)).toMatchObject({ disabled: true, disabledBy: 'userAccountControl' });
    expect(accountState({ userAccountControl: '512' }, 'ad', NOW)).toEqual({ disabled: false });
    expect(accountState({ userAccountControl: '66050' }, 'ad', NOW).disabled).toBe(true);
    expect(accountState({ userAccountControl: '512', accountExpires: filetime(new Date('2026-11-29T00:00:00Z')) }, 'ad', NOW)).toMatchObject({
      disabled: true,
      disabledBy: 'accountExpires',
    });
    expect(accountState({ userAccountControl: '512', accountExpires: filetime(new Date('2027-01-01T00:00:00Z')) }, 'ad', NOW).disabled).toBe(false);
    expect(accountState({ accountExpires: '0' }, 'ad', NOW).disabled).toBe(false);
    expect(accountState({ accountExpires: '9223372036854775807' }, 'ad', NOW).disabled).toBe(false);
    expect(accountState({ lockoutTime: filetime(new Date('2026-11-30T11:50:00Z')) }, 'ad', NOW)).toEqual({
      disabled: false,
      lockedOutUntil: '2026-11-30T11:50:00.000Z',
    });
  });

  it('389ds: nsAccountLock TRUE in any case', () => {
    expect(accountState({ nsAccountLock: 'true' }, '389ds', NOW).disabled).toBe(true);
    expect(accountState({ NSACCOUNTLOCK: 'TRUE' }, '389ds', NOW).disabled).toBe(true);
    expect(accountState({ nsAccountLock: 'FALSE' }, '389ds', NOW).disabled).toBe(false);
  });

  it('generic: only "missing" counts, whatever the attributes say', () => {
    expect(accountState({ userAccountControl: '514', nsAccountLock: 'TRUE', pwdAccountLockedTime: '000001010000Z' }, 'generic', NOW)).toEqual({
      disabled: false,
    });
  });
});
