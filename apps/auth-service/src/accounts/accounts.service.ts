import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AuthError } from '../app/auth-errors';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { DirectoryClient, DirectoryUnavailable } from '../directory/directory.client';
import { AccountRepository } from './account.repository';
import type { Account } from './entities/account.entity';
import { PasswordHasher } from './password-hasher';
import { normaliseEmail, passwordProblem } from './password-policy';

const PROBLEM_TEXT = {
  too_short: 'The password is too short: use at least 8 characters (a passphrase is best).',
  too_long: 'The password is too long: at most 128 characters.',
  too_common: 'The password is one of the most common ones, which attackers try first.',
  control_characters: 'The password contains control characters (such as NUL or a line break); use characters you can type.',
} as const;

@Injectable()
export class AccountsService {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly repository: AccountRepository,
    private readonly hasher: PasswordHasher,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(DirectoryClient) private readonly directory: DirectoryClient | null,
  ) {}

  async signUp(email: string, password: string): Promise<{ id: string; email: string }> {
    if (!this.config.signupOpen) throw new AuthError('signup_closed', 'Sign-up is closed on this server; ask an administrator for an account.');
    const account = await this.create(email, password, []);
    return { id: account.id, email: account.email };
  }

  /** The sign-up strength rules; 400 weak_password with the reason. */
  assertStrongPassword(password: string, email: string): void {
    const problem = passwordProblem(password, email);
    if (problem) throw new AuthError('weak_password', PROBLEM_TEXT[problem], { reason: problem });
  }

  /** Argon2id of a new password: computed before the transaction that stores it (no slow work while it holds locks). */
  hashPassword(password: string): Promise<string> {
    return this.hasher.hash(password);
  }

  /** Stores a new password hash inside the caller's transaction (a password change also ends sessions). */
  async setPasswordHash(accountId: string, passwordHash: string, tx: EntityManager): Promise<void> {
    await this.repository.setPasswordHash(tx, accountId, passwordHash);
  }

  async create(rawEmail: string, password: string, roles: string[]): Promise<Account> {
    const email = normaliseEmail(rawEmail);
    this.assertStrongPassword(password, email);
    const passwordHash = await this.hasher.hash(password);
    const em = this.em.fork();
    const account = this.repository.add(em, { email, passwordHash, roles });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new AuthError('email_taken', 'An account with this email exists.');
      throw error;
    }
    return account;
  }

  /** The account a sign-in identifier names by its email (local or linked); a bare login names no local account. */
  findForSignIn(identifier: string): Promise<Account | null> {
    if (!identifier.includes('@')) return Promise.resolve(null);
    return this.repository.findByEmail(this.em.fork(), normaliseEmail(identifier));
  }

  /**
   * A password, checked as at sign-in: Argon2id for a local account — and for no account at all,
   * against a decoy hash, so an unknown email costs the same work as a wrong password and timing
   * does not reveal which emails have accounts — or a bind to the directory for a linked one
   * (503 directory_unavailable when it cannot be asked).
   */
  async checkPassword(account: Account | null | undefined, password: string): Promise<boolean> {
    if (password.length === 0 || password.length > 1024) return false;
    if (account?.directoryId) {
      if (!this.directory || !account.directoryDn) return false;
      try {
        return await this.directory.checkPassword(account.directoryDn, password);
      } catch (error) {
        if (error instanceof DirectoryUnavailable)
          throw new AuthError('directory_unavailable', 'The directory cannot be reached to check your password; try again later.');
        throw error;
      }
    }
    return this.hasher.verify(account?.passwordHash, password);
  }

  /** Exact match on the normalised address (as stored): an admin looks one user up, never browses. */
  findByEmail(rawEmail: string): Promise<Account | null> {
    return this.repository.findByEmail(this.em.fork(), normaliseEmail(rawEmail));
  }

  findById(id: string): Promise<Account | null> {
    return this.repository.findById(this.em.fork(), id);
  }

  /** AUTH_BOOTSTRAP_*: creates the first admin once; an existing account is left alone. */
  async bootstrap(): Promise<void> {
    const wanted = this.config.bootstrap;
    if (!wanted) return;
    const email = normaliseEmail(wanted.email);
    if (await this.repository.findByEmail(this.em.fork(), email)) {
      this.logger.log(`Bootstrap account ${email} exists; left unchanged`);
      return;
    }
    try {
      await this.create(email, wanted.password, wanted.roles);
      this.logger.log(`Created the bootstrap account ${email} with roles ${wanted.roles.join(',') || '(none)'}`);
    } catch (error) {
      // Another replica created it at the same moment.
      if (error instanceof AuthError && error.code === 'email_taken') return;
      throw error;
    }
  }
}
