import type { DirectoryPerson } from './directory.client';
import { roleChange, rolesByPerson } from './group-roles';
import type { LinkedAccount } from '../common/types';
import { planSync, PlanInput } from './sync-plan';

function setup() {
  let n = 0;
  const person = (login: string, change: Partial<DirectoryPerson> = {}): DirectoryPerson => ({
    dn: `uid=${login},ou=people,dc=x`,
    key: `uid=${login},ou=people,dc=x`,
    id: `id-${login}`,
    login,
    mail: `${login}@x.test`,
    name: login,
    state: { disabled: false },
    ...change,
  });
  const account = (login: string, change: Partial<LinkedAccount> = {}): LinkedAccount => ({
    id: `acc-${++n}`,
    email: `${login}@x.test`,
    roles: [],
    directoryRoles: [],
    directoryId: `id-${login}`,
    directoryDn: `uid=${login},ou=people,dc=x`,
    directoryLogin: login,
    lockReason: null,
    ...change,
  });
  const input = (change: Partial<PlanInput>): PlanInput => ({
    people: [],
    accounts: [],
    rolesByPerson: undefined,
    takenMails: new Set(),
    otherAdmins: 1,
    maxLockPercent: 10,
    force: false,
    ...change,
  });
  return { person, account, input };
}

describe(planSync.name, () => {
  it('aborts on an empty directory answer, whatever else', () => {
    const { account, input } = setup();
    const plan = planSync(input({ accounts: [account('ada')], force: true }));
    expect(plan.abort).toMatch(/no users/);
    expect(plan.changes).toEqual([]);
  });

  it('locks disabled (ldap_disabled) and missing (ldap_missing) accounts, once', () => {
    const { person, account, input } = setup();
    const people = [person('ada', { state: { disabled: true, disabledBy: 'userAccountControl' } }), ...Array.from({ length: 18 }, (_, i) => person(`p${i}`))];
    const accounts = [
      account('ada'),
      account('bob'),
      account('old', { lockReason: 'ldap_missing' }),
      ...Array.from({ length: 17 }, (_, i) => account(`p${i}`)),
    ];
    const plan = planSync(input({ people, accounts }));
    expect(plan.refusal).toBeUndefined();
    expect(plan.changes.filter((c) => c.kind === 'lock')).toEqual([
      { kind: 'lock', accountId: accounts[0]?.id, reason: 'ldap_disabled' },
      { kind: 'lock', accountId: accounts[1]?.id, reason: 'ldap_missing' },
    ]);
    expect(plan.counts).toMatchObject({ locked: 2, directoryUsers: 19, linkedAccounts: 20 });
  });

  it('refuses to lock more than the limit unless forced', () => {
    const { person, account, input } = setup();
    const accounts = [account('ada'), account('bob'), account('cy')];
    const refused = planSync(input({ people: [person('ada')], accounts, maxLockPercent: 50 }));
    expect(refused.refusal).toMatch(/lock 2 of 3 linked accounts/);
    expect(refused.changes).toEqual([]);
    expect(planSync(input({ people: [person('ada')], accounts, maxLockPercent: 50, force: true })).changes).toHaveLength(2);
  });

  it("unlocks only the directory's own locks; a temporary lockout is reported", () => {
    const { person, account, input } = setup();
    const accounts = [account('ada', { lockReason: 'ldap_disabled' }), account('bob', { lockReason: 'admin' }), account('cy')];
    const plan = planSync(
      input({ people: [person('ada'), person('bob'), person('cy', { state: { disabled: false, lockedOutUntil: '2026-11-30T10:00:00.000Z' } })], accounts }),
    );
    expect(plan.changes).toEqual([{ kind: 'unlock', accountId: accounts[0]?.id, previousReason: 'ldap_disabled' }]);
    expect(plan.actions).toEqual(expect.arrayContaining([expect.objectContaining({ login: 'cy', action: 'report', reason: 'locked_out_in_directory' })]));
  });

  it('copies a new mail unless another account uses it', () => {
    const { person, account, input } = setup();
    const accounts = [account('ada'), account('bob')];
    const plan = planSync(
      input({ people: [person('ada', { mail: 'ada2@x.test' }), person('bob', { mail: 'root@x.test' })], accounts, takenMails: new Set(['root@x.test']) }),
    );
    expect(plan.changes).toEqual([{ kind: 'mail', accountId: accounts[0]?.id, from: 'ada@x.test', to: 'ada2@x.test' }]);
    expect(plan.actions).toEqual(expect.arrayContaining([expect.objectContaining({ login: 'bob', reason: 'mail_taken' })]));
  });

  it('never removes the last admin', () => {
    const { person, account, input } = setup();
    const accounts = [account('ada', { roles: ['admin'], directoryRoles: ['admin'] })];
    const plan = planSync(input({ people: [person('ada')], accounts, rolesByPerson: new Map(), otherAdmins: 0 }));
    expect(plan.changes.filter((c) => c.kind === 'roles')).toEqual([]);
    expect(plan.actions).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'last_admin_kept' })]));
    const withAnother = planSync(input({ people: [person('ada')], accounts, rolesByPerson: new Map(), otherAdmins: 1 }));
    expect(withAnother.changes).toEqual([expect.objectContaining({ kind: 'roles', removed: ['admin'], roles: [] })]);
  });
});

describe(rolesByPerson.name, () => {
  it('follows nested groups and survives a cycle', () => {
    const roles = rolesByPerson(
      [
        { key: 'cn=ops', members: ['cn=sre', 'uid=dee'] },
        { key: 'cn=sre', members: ['uid=bob', 'cn=ops'] },
        { key: 'cn=admins', members: ['uid=ada'] },
      ],
      new Map([
        ['cn=ops', ['ops']],
        ['cn=admins', ['admin', 'ops']],
      ]),
    );
    expect(roles).toEqual(
      new Map([
        ['uid=dee', new Set(['ops'])],
        ['uid=bob', new Set(['ops'])],
        ['uid=ada', new Set(['admin', 'ops'])],
      ]),
    );
  });
});

describe(roleChange.name, () => {
  it('adds granted roles, removes only roles the directory granted', () => {
    expect(roleChange(['auditor', 'ops'], ['ops'], new Set(['admin']))).toEqual({
      roles: ['auditor', 'admin'],
      directoryRoles: ['admin'],
      added: ['admin'],
      removed: ['ops'],
    });
    // A role held by hand and now also granted stays a hand role.
    expect(roleChange(['ops'], [], new Set(['ops']))).toEqual({ roles: ['ops'], directoryRoles: [], added: [], removed: [] });
  });
});
