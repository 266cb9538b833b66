import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { MediumContext, startMedium } from '../../test/support/medium';
import { AccountRepository } from './account.repository';

describe(AccountRepository.name, () => {
  let ctx: MediumContext;
  const sut = new AccountRepository();
  const later = (ms: number) => new Date(ctx.clock.nowMs() + ms);
  const column = async (id: string, name: string) => (await ctx.sql(`select ${name} as value from auth.account where id = ?`, [id]))[0]?.['value'];
  const linked = async (overrides: { email?: string; roles?: string[]; lockReason?: string } = {}) => {
    const account = await ctx.newAccount(overrides);
    await ctx.sql('update auth.account set directory_id = ?, directory_dn = ?, directory_login = ?, locked_at = ?, lock_reason = ? where id = ?', [
      `dir-${account.id}`,
      `uid=${account.id},ou=people,dc=example,dc=test`,
      account.id.slice(0, 8),
      overrides.lockReason ? ctx.clock.now() : null,
      overrides.lockReason ?? null,
      account.id,
    ]);
    return account;
  };

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  describe('accounts', () => {
    it('adds an account with the flush of the caller; the unique email refuses a second one', async () => {
      const fork = ctx.em();
      const account = sut.add(fork, { email: 'new@example.test', passwordHash: 'hash', roles: ['ops'] });
      await fork.flush();
      expect((await sut.findByEmail(ctx.em(), 'new@example.test'))?.id).toBe(account.id);
      expect((await sut.findById(ctx.em(), account.id))?.roles).toEqual(['ops']);

      const again = ctx.em();
      sut.add(again, { email: 'new@example.test', passwordHash: 'other', roles: [] });
      await expect(again.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    });

    it('stores a new password hash on the caller transaction only when it commits', async () => {
      const account = await ctx.newAccount();
      await expect(
        ctx.transaction(async (t) => {
          await sut.setPasswordHash(t, account.id, 'rolled-back');
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await column(account.id, 'password_hash')).not.toBe('rolled-back');
      await ctx.transaction((t) => sut.setPasswordHash(t, account.id, 'new-hash'));
      expect(await column(account.id, 'password_hash')).toBe('new-hash');
    });

    it('links a directory account (no password), finds it by its directory id and follows a rename', async () => {
      const id = '00000000-0000-4000-8000-00000000d1d1';
      await ctx.transaction((t) =>
        sut.insertLinked(t, {
          id,
          email: 'dir@example.test',
          roles: ['ops'],
          directoryRoles: ['ops'],
          directoryId: 'entry-1',
          directoryDn: 'uid=a,dc=test',
          directoryLogin: 'a',
        }),
      );
      const found = await sut.findByDirectoryId(ctx.em(), 'entry-1');
      expect(found).toMatchObject({ id, passwordHash: null, directoryDn: 'uid=a,dc=test', directoryLogin: 'a' });
      await sut.relink(ctx.em(), id, 'uid=b,dc=test', 'b');
      expect(await sut.findByDirectoryId(ctx.em(), 'entry-1')).toMatchObject({ directoryDn: 'uid=b,dc=test', directoryLogin: 'b' });
      expect(await sut.findByDirectoryId(ctx.em(), 'entry-unknown')).toBeNull();
    });

    it('starts the MFA grace period once: a later sign-in gets the first start', async () => {
      const account = await ctx.newAccount();
      const first = ctx.clock.now();
      expect((await sut.startGracePeriod(ctx.em(), account.id, first)).getTime()).toBe(first.getTime());
      expect((await sut.startGracePeriod(ctx.em(), account.id, later(60_000))).getTime()).toBe(first.getTime());
      const racer = await ctx.newAccount();
      const racing = await Promise.all([0, 1, 2].map(async (n) => (await sut.startGracePeriod(ctx.em(), racer.id, later(n))).getTime()));
      expect(new Set(racing).size).toBe(1);
      await expect(sut.startGracePeriod(ctx.em(), '00000000-0000-4000-8000-000000000000', first)).rejects.toThrow('No account');
    });
  });

  describe('self-service deletion', () => {
    it('locks the row and schedules a deletion once; a cancellation must name the scheduled time', async () => {
      const account = await ctx.newAccount({ roles: ['ops'] });
      const at = later(7 * 86_400_000);
      expect(await ctx.transaction((t) => sut.lock(t, account.id))).toEqual({ id: account.id, email: account.email, roles: ['ops'], erasureScheduledAt: null });
      expect(await ctx.transaction((t) => sut.lock(t, '00000000-0000-4000-8000-000000000000'))).toBeUndefined();

      expect(await ctx.transaction((t) => sut.scheduleErasure(t, account.id, at))).toBe(true);
      expect(await ctx.transaction((t) => sut.scheduleErasure(t, account.id, later(1)))).toBe(false);
      expect((await ctx.transaction((t) => sut.lock(t, account.id)))?.erasureScheduledAt?.getTime()).toBe(at.getTime());
      expect(await sut.isScheduledFor(ctx.em(), account.id, at)).toBe(true);
      expect(await sut.isScheduledFor(ctx.em(), account.id, later(1))).toBe(false);

      expect(await ctx.transaction((t) => sut.cancelErasure(t, account.id, later(1)))).toBe(false);
      expect(await ctx.transaction((t) => sut.cancelErasure(t, account.id, at))).toBe(true);
      expect(await sut.isScheduledFor(ctx.em(), account.id, at)).toBe(false);
    });

    it('answers due erasures, oldest first, up to the limit', async () => {
      const first = await ctx.newAccount();
      const second = await ctx.newAccount();
      const notYet = await ctx.newAccount();
      await ctx.transaction(async (t) => {
        await sut.scheduleErasure(t, second.id, later(-1000));
        await sut.scheduleErasure(t, first.id, later(-2000));
        await sut.scheduleErasure(t, notYet.id, later(1000));
      });
      const due = await sut.dueErasures(ctx.em(), ctx.clock.now());
      expect(due.indexOf(first.id)).toBeLessThan(due.indexOf(second.id));
      expect(due).not.toContain(notYet.id);
      expect(await sut.dueErasures(ctx.em(), ctx.clock.now(), 1)).toHaveLength(1);
    });

    it('counts the other admins that are not leaving', async () => {
      await ctx.sql(`update auth.account set roles = '{}' where 'admin' = any(roles)`);
      const me = await ctx.newAccount({ roles: ['admin'] });
      const other = await ctx.newAccount({ roles: ['admin'] });
      const leaving = await ctx.newAccount({ roles: ['admin'] });
      await ctx.transaction((t) => sut.scheduleErasure(t, leaving.id, later(1000)));
      expect(await ctx.transaction((t) => sut.otherAdmins(t, me.id))).toBe(1);
      expect(await ctx.transaction((t) => sut.otherAdmins(t, other.id))).toBe(1);
    });
  });

  describe('the directory sync', () => {
    it('lists linked accounts, the mails in use and the unlocked local admins', async () => {
      await ctx.sql(`update auth.account set roles = '{}' where 'admin' = any(roles)`);
      const link = await linked({ roles: ['ops'] });
      const local = await ctx.newAccount({ roles: ['admin'] });
      const lockedAdmin = await ctx.newAccount({ roles: ['admin'] });
      await ctx.sql(`update auth.account set locked_at = now(), lock_reason = 'admin' where id = ?`, [lockedAdmin.id]);
      await linked({ roles: ['admin'] });

      const accounts = await sut.linkedAccounts(ctx.em());
      expect(accounts.find((a) => a.id === link.id)).toEqual({
        id: link.id,
        email: link.email,
        roles: ['ops'],
        directoryRoles: [],
        directoryId: `dir-${link.id}`,
        directoryDn: `uid=${link.id},ou=people,dc=example,dc=test`,
        directoryLogin: link.id.slice(0, 8),
        lockReason: null,
      });
      expect(accounts.map((a) => a.id)).not.toContain(local.id);
      expect(await sut.takenMails(ctx.em(), [local.email, 'nobody@example.test'])).toEqual(new Set([local.email]));
      expect(await sut.takenMails(ctx.em(), [])).toEqual(new Set());
      expect(await sut.localAdmins(ctx.em())).toBe(1);
    });

    it('applies changes conditionally and answers those that took', async () => {
      const toLock = await linked();
      const lockedByAdmin = await linked({ lockReason: 'admin' });
      const toUnlock = await linked({ lockReason: 'ldap_disabled' });
      const renamed = await linked();
      const mailRaced = await linked();
      const changes = [
        { kind: 'lock' as const, accountId: toLock.id, reason: 'ldap_missing' as const },
        { kind: 'lock' as const, accountId: lockedByAdmin.id, reason: 'ldap_disabled' as const },
        { kind: 'unlock' as const, accountId: toUnlock.id, previousReason: 'ldap_disabled' },
        { kind: 'unlock' as const, accountId: lockedByAdmin.id, previousReason: 'admin' },
        { kind: 'mail' as const, accountId: renamed.id, from: renamed.email, to: `renamed-${renamed.email}` },
        { kind: 'mail' as const, accountId: mailRaced.id, from: 'stale@example.test', to: 'other@example.test' },
        { kind: 'roles' as const, accountId: toLock.id, roles: ['ops'], directoryRoles: ['ops'], added: ['ops'], removed: [] },
        { kind: 'relink' as const, accountId: renamed.id, dn: 'uid=new,dc=test', login: 'new' },
      ];
      const took = await ctx.transaction((t) => sut.applyDirectoryChanges(t, changes, ctx.clock.now()));
      expect(took).toEqual([changes[0], changes[2], changes[4], changes[6], changes[7]]);
      expect(await column(toLock.id, 'lock_reason')).toBe('ldap_missing');
      expect(await column(lockedByAdmin.id, 'lock_reason')).toBe('admin');
      expect(await column(toUnlock.id, 'locked_at')).toBeNull();
      expect(await column(renamed.id, 'email')).toBe(`renamed-${renamed.email}`);
      expect(await column(mailRaced.id, 'email')).toBe(mailRaced.email);
      expect(await column(toLock.id, 'directory_roles')).toEqual(['ops']);
      expect(await column(renamed.id, 'directory_dn')).toBe('uid=new,dc=test');
      expect(await ctx.transaction((t) => sut.applyDirectoryChanges(t, [], ctx.clock.now()))).toEqual([]);
    });
  });
});
