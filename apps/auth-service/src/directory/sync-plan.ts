import type { DirectoryPerson } from './directory.client';
import type { SyncAction, SyncCounts } from './entities/directory-sync-run.entity';
import { roleChange } from './group-roles';
import { DIRECTORY_LOCK_REASONS, type DirectoryLockReason, type LinkedAccount, type SyncChange } from '../common/types';

export interface SyncPlan {
  changes: SyncChange[];
  actions: SyncAction[];
  counts: SyncCounts;
  /** Set when the run must change nothing: why. */
  abort?: string;
  /** Set when the run is refused by the lock limit (LDAP_SYNC_MAX_LOCK_PERCENT) and not forced. */
  refusal?: string;
}

export interface PlanInput {
  people: readonly DirectoryPerson[];
  accounts: readonly LinkedAccount[];
  /** Normalised person DN → roles its groups grant; undefined when no group mapping is configured. */
  rolesByPerson: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  /** Mail addresses of every account (local ones too): a mail change to one of them is reported, not made. */
  takenMails: ReadonlySet<string>;
  /** Admins that stay admins whatever this run does (local, unlocked accounts). */
  otherAdmins: number;
  maxLockPercent: number;
  force: boolean;
}

/**
 * What a sync would do, computed without touching anything: the same plan is reported by a dry
 * run and written by a real one. Safety first — an outage must never lock everyone: an empty
 * answer aborts, and locking more than LDAP_SYNC_MAX_LOCK_PERCENT of the linked accounts is
 * refused unless forced.
 */
export function planSync(input: PlanInput): SyncPlan {
  const counts: SyncCounts = {
    directoryUsers: input.people.length,
    linkedAccounts: input.accounts.length,
    locked: 0,
    unlocked: 0,
    updated: 0,
    roleChanges: 0,
    reported: 0,
  };
  if (input.people.length === 0) {
    return { changes: [], actions: [], counts, abort: 'the directory returned no users (a wrong base DN or filter, or an outage): nothing was changed' };
  }
  const byId = new Map(input.people.map((person) => [person.id, person]));
  if (byId.size !== input.people.length)
    return { changes: [], actions: [], counts, abort: 'the directory returned two entries with the same id attribute (LDAP_ID_ATTR): nothing was changed' };
  const changes: SyncChange[] = [];
  const actions: SyncAction[] = [];
  const takenMails = new Set([...input.takenMails, ...input.accounts.map((account) => account.email)]);
  const login = (account: LinkedAccount) => account.directoryLogin ?? account.email;

  for (const account of input.accounts) {
    const person = byId.get(account.directoryId);
    const lockedByDirectory = (DIRECTORY_LOCK_REASONS as readonly string[]).includes(account.lockReason ?? '');
    if (!person || person.state.disabled) {
      const reason: DirectoryLockReason = person ? 'ldap_disabled' : 'ldap_missing';
      if (account.lockReason === null) {
        changes.push({ kind: 'lock', accountId: account.id, reason });
        actions.push({
          accountId: account.id,
          login: login(account),
          action: 'lock',
          reason,
          ...(person ? { details: { disabledBy: person.state.disabledBy } } : {}),
        });
        counts.locked++;
      }
      if (!person) continue;
    } else if (account.lockReason !== null && lockedByDirectory) {
      changes.push({ kind: 'unlock', accountId: account.id, previousReason: account.lockReason });
      actions.push({
        accountId: account.id,
        login: login(account),
        action: 'unlock',
        reason: 'found_enabled',
        details: { previousReason: account.lockReason },
      });
      counts.unlocked++;
    }

    if (person.state.lockedOutUntil) {
      actions.push({
        accountId: account.id,
        login: login(account),
        action: 'report',
        reason: 'locked_out_in_directory',
        details: { until: person.state.lockedOutUntil },
      });
      counts.reported++;
    }
    const personLogin = person.login.toLowerCase();
    if (person.dn !== account.directoryDn || personLogin !== account.directoryLogin) {
      changes.push({ kind: 'relink', accountId: account.id, dn: person.dn, login: personLogin });
    }
    if (person.mail && person.mail !== account.email) {
      if (takenMails.has(person.mail)) {
        actions.push({ accountId: account.id, login: login(account), action: 'report', reason: 'mail_taken', details: { mail: person.mail } });
        counts.reported++;
      } else {
        takenMails.add(person.mail);
        changes.push({ kind: 'mail', accountId: account.id, from: account.email, to: person.mail });
        actions.push({
          accountId: account.id,
          login: login(account),
          action: 'update',
          reason: 'mail_changed',
          details: { from: account.email, to: person.mail },
        });
        counts.updated++;
      }
    }
    if (input.rolesByPerson) {
      const change = roleChange(account.roles, account.directoryRoles, input.rolesByPerson.get(person.key) ?? new Set());
      const marksChanged = change.directoryRoles.join() !== [...account.directoryRoles].sort().join();
      if (change.added.length || change.removed.length || marksChanged) {
        changes.push({ kind: 'roles', accountId: account.id, ...change });
        if (change.added.length || change.removed.length) {
          actions.push({
            accountId: account.id,
            login: login(account),
            action: 'roles',
            reason: 'groups_changed',
            details: { added: change.added, removed: change.removed },
          });
          counts.roleChanges++;
        }
      }
    }
  }

  keepLastAdmin(input, changes, actions, counts);

  const limit = (input.maxLockPercent / 100) * input.accounts.length;
  if (counts.locked > limit && !input.force) {
    return {
      changes: [],
      actions,
      counts,
      refusal: `the run would lock ${counts.locked} of ${input.accounts.length} linked accounts, more than LDAP_SYNC_MAX_LOCK_PERCENT (${input.maxLockPercent} %): check the directory, then run it again with force`,
    };
  }
  return { changes, actions, counts };
}

/** A run never removes the last admin: when nobody would be an unlocked admin afterwards, the removals of `admin` are dropped. */
function keepLastAdmin(input: PlanInput, changes: SyncChange[], actions: SyncAction[], counts: SyncCounts): void {
  const locked = new Set(changes.filter((change) => change.kind === 'lock').map((change) => change.accountId));
  const rolesAfter = new Map(input.accounts.map((account) => [account.id, account.roles]));
  for (const change of changes) if (change.kind === 'roles') rolesAfter.set(change.accountId, change.roles);
  const linkedAdmins = input.accounts.filter(
    (account) =>
      !locked.has(account.id) &&
      (account.lockReason === null || changes.some((c) => c.kind === 'unlock' && c.accountId === account.id)) &&
      rolesAfter.get(account.id)?.includes('admin'),
  ).length;
  if (input.otherAdmins + linkedAdmins > 0) return;
  for (const change of changes) {
    if (change.kind !== 'roles' || !change.removed.includes('admin')) continue;
    change.removed = change.removed.filter((role) => role !== 'admin');
    change.roles = [...change.roles, 'admin'];
    change.directoryRoles = [...change.directoryRoles, 'admin'].sort();
    const account = input.accounts.find((a) => a.id === change.accountId);
    actions.push({ accountId: change.accountId, login: account?.directoryLogin ?? account?.email ?? '', action: 'report', reason: 'last_admin_kept' });
    counts.reported++;
    const listed = actions.find((action) => action.accountId === change.accountId && action.action === 'roles');
    if (listed) listed.details = { added: change.added, removed: change.removed };
    if (listed && change.added.length === 0 && change.removed.length === 0) {
      actions.splice(actions.indexOf(listed), 1);
      counts.roleChanges--;
    }
  }
  // Changes left without effect (the admin removal was all they did) are dropped.
  for (let i = changes.length - 1; i >= 0; i--) {
    const change = changes[i];
    const account = input.accounts.find((a) => a.id === change?.accountId);
    if (
      change?.kind === 'roles' &&
      account &&
      change.roles.join() === account.roles.join() &&
      change.directoryRoles.join() === [...account.directoryRoles].sort().join()
    )
      changes.splice(i, 1);
  }
}
