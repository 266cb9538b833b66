import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { DirectoryClient, DirectoryPerson, DirectoryUnavailable, MAX_LOGIN_LENGTH } from '../directory/directory.client';
import { roleChange, rolesByPerson } from '../directory/group-roles';
import { SecurityEventsService } from '../security-events/security-events.service';
import { AccountRepository } from './account.repository';
import { AccountsService } from './accounts.service';
import type { Account } from './entities/account.entity';
import { normaliseEmail } from './password-policy';

const wrong = () => new AuthError('invalid_credentials', 'Login or password is wrong.');

/**
 * The first factor of `POST /v1/sessions`: `{email, password}` or `{login, password}`.
 *
 * A local account (found by its email) is checked against its Argon2id hash and never against
 * the directory, so local accounts — the break-glass admin among them — keep working while the
 * directory is down. Anything else, with LDAP_URL set, is a directory sign-in: the service
 * account searches the person by LDAP_LOGIN_ATTR or mail, then a bind as the person's DN over TLS
 * checks the password — every time, so a person disabled or deleted in the directory cannot sign
 * in even before the next sync, and a stale password is never accepted. The first success links
 * (creates) the local account from the entry.
 */
@Injectable()
export class FirstFactorService {
  private readonly logger = new Logger(FirstFactorService.name);

  constructor(
    private readonly accounts: AccountsService,
    @Inject(DirectoryClient) private readonly directory: DirectoryClient | null,
    private readonly events: SecurityEventsService,
    private readonly em: EntityManager,
    private readonly repository: AccountRepository,
  ) {}

  async authenticate(body: unknown, client: ClientInfo): Promise<Account> {
    const { identifier, password } = credentials(body);
    const local = await this.accounts.findForSignIn(identifier);
    if (local && !local.directoryId) {
      if (!(await this.accounts.checkPassword(local, password))) throw wrong();
      return usable(local);
    }
    if (!this.directory) {
      // Costs the same Argon2id work as a wrong password (no timing hint about which emails exist).
      await this.accounts.checkPassword(undefined, password);
      throw wrong();
    }
    try {
      const person = await this.directory.findPerson(identifier);
      // Disabled in the directory: refused now, locked by the next sync.
      if (!person || person.state.disabled) throw wrong();
      if (!(await this.directory.checkPassword(person.dn, password))) throw wrong();
      return usable(await this.link(person, client));
    } catch (error) {
      if (error instanceof DirectoryUnavailable) {
        this.logger.warn(`Directory sign-in impossible: ${error.reason}`);
        throw new AuthError('directory_unavailable', 'The directory cannot be reached; directory accounts cannot sign in right now. Try again later.');
      }
      throw error;
    }
  }

  /**
   * The local account of a directory person: found by the entry's stable id (renames and moves
   * keep it), else created — with the roles its groups grant — and audited. Its DN and login
   * follow the entry.
   */
  private async link(person: DirectoryPerson, client: ClientInfo): Promise<Account> {
    const login = person.login.toLowerCase();
    const em = this.em.fork();
    const linked = await this.repository.findByDirectoryId(em, person.id);
    if (linked) {
      if (linked.directoryDn !== person.dn || linked.directoryLogin !== login) {
        await this.repository.relink(em, linked.id, person.dn, login);
        linked.directoryDn = person.dn;
        linked.directoryLogin = login;
      }
      return linked;
    }
    if (!person.mail) throw new AuthError('directory_link_conflict', 'Your directory entry has no mail address; ask an administrator to add one.');
    const email = normaliseEmail(person.mail);
    const granted = await this.groupRoles(person);
    const { roles, directoryRoles } = roleChange([], [], granted);
    const id = randomUUID();
    try {
      await this.events.audited(async (tx) => {
        await this.repository.insertLinked(tx, { id, email, roles, directoryRoles, directoryId: person.id, directoryDn: person.dn, directoryLogin: login });
        return { result: undefined, events: [{ type: 'directory_linked', accountId: id, ip: client.ip, details: { login, roles } }] };
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // A racing first sign-in of the same person linked it: use that account.
      const raced = await this.repository.findByDirectoryId(this.em.fork(), person.id);
      if (raced) return raced;
      throw new AuthError(
        'directory_link_conflict',
        'An account with your mail address exists already; ask an administrator to link it to your directory entry.',
      );
    }
    const account = await this.repository.findById(this.em.fork(), id);
    if (!account) throw new Error(`The account ${id} just linked is gone`);
    return account;
  }

  private async groupRoles(person: DirectoryPerson): Promise<Set<string>> {
    const directory = this.directory;
    if (!directory || directory.config.groupRoles.size === 0) return new Set();
    return rolesByPerson(await directory.listGroups(), directory.config.groupRoles).get(person.key) ?? new Set();
  }
}

/** A locked account proves its password but gets nothing (the lock is only told after the right password). */
function usable(account: Account): Account {
  if (account.lockedAt) throw new AuthError('account_locked', 'This account is locked; ask an administrator.', { reason: account.lockReason });
  return account;
}

function credentials(body: unknown): { identifier: string; password: string } {
  if (typeof body !== 'object' || body === null) throw wrong();
  const { email, login, password } = body as Record<string, unknown>;
  const identifier = login ?? email;
  // An empty password never reaches a bind (it would be an unauthenticated bind that "succeeds").
  if (typeof identifier !== 'string' || typeof password !== 'string' || password.length === 0 || password.length > 1024) throw wrong();
  const trimmed = identifier.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_LOGIN_LENGTH || trimmed.includes('\0')) throw wrong();
  return { identifier: trimmed, password };
}
