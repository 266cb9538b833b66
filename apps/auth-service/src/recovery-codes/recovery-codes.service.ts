import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { AccountRepository } from '../accounts/account.repository';
import { AuthError } from '../app/auth-errors';
import { ClientInfo } from '../common/request-context';
import { SecondFactorRegistry } from '../second-factors/second-factor-registry';
import { SecondFactorOutcome, SecondFactorStrategy, SpendWith } from '../second-factors/second-factor.strategy';
import { SecurityEventsService } from '../security-events/security-events.service';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCode, RECOVERY_SET_SIZE } from './recovery-code-format';
import { RecoveryCodeRepository } from './recovery-code.repository';

/** The ten single-use codes that stand in for a lost authenticator. */
@Injectable()
export class RecoveryCodesService implements SecondFactorStrategy<{ code: string }> {
  readonly method = 'recovery_code' as const;
  readonly amr = [] as const;
  readonly countsAsFactor = false;

  constructor(
    private readonly em: EntityManager,
    private readonly codes: RecoveryCodeRepository,
    private readonly accounts: AccountRepository,
    private readonly clock: Clock,
    private readonly events: SecurityEventsService,
  ) {}

  /**
   * Issued with the first confirmed factor only, inside that factor's audited change (`tx`);
   * later confirmations get none.
   */
  async issueInitialSet(accountId: string, tx: EntityManager): Promise<string[] | undefined> {
    const plain = Array.from({ length: RECOVERY_SET_SIZE }, newRecoveryCode);
    const issued = await this.replaceSet(tx, accountId, plain.map(hashRecoveryCode), { onlyIfNone: true });
    return issued ? plain : undefined;
  }

  async regenerate(accountId: string, registry: SecondFactorRegistry, client: ClientInfo): Promise<{ recoveryCodes: string[] }> {
    if (!(await registry.hasConfirmedFactor(accountId))) {
      throw new AuthError('no_confirmed_factor', 'Recovery codes come with a second factor: enroll one first.');
    }
    const plain = Array.from({ length: RECOVERY_SET_SIZE }, newRecoveryCode);
    return this.events.audited(async (tx) => {
      await this.replaceSet(tx, accountId, plain.map(hashRecoveryCode), { onlyIfNone: false });
      return { result: { recoveryCodes: plain }, events: [{ type: 'recovery_codes_regenerated', accountId, ip: client.ip }] };
    });
  }

  async remaining(accountId: string): Promise<{ remaining: number }> {
    return { remaining: await this.codes.remaining(this.em.fork(), accountId) };
  }

  async isAvailable(accountId: string): Promise<boolean> {
    return (await this.codes.remaining(this.em.fork(), accountId)) > 0;
  }

  async verify(accountId: string, input: { code: string }, spend: SpendWith): Promise<SecondFactorOutcome> {
    if (!looksLikeRecoveryCode(input.code)) return { ok: false, reason: 'invalid_code' };
    const used = await spend((tx) => this.codes.consume(tx, accountId, hashRecoveryCode(input.code), this.clock.now()));
    // The codes left are counted by the statement that closes the step (SignInStepRepository), in
    // its transaction: no read of them here.
    return used ? { ok: true } : { ok: false, reason: 'invalid_code' };
  }

  deleteAllFor(accountId: string, tx: EntityManager): Promise<number> {
    return this.codes.deleteAllFor(tx, accountId);
  }

  /**
   * Replaces the account's set, as a savepoint of the caller's audited change. The account row is
   * locked first, so two racing requests (two first confirmations, two regenerations) serialise;
   * with `onlyIfNone` the second one finds the first set and issues nothing.
   */
  private replaceSet(outer: EntityManager, accountId: string, hashes: string[], options: { onlyIfNone: boolean }): Promise<boolean> {
    const now = this.clock.now();
    return outer.transactional(async (tx) => {
      await this.accounts.lock(tx, accountId);
      if (options.onlyIfNone && (await this.codes.count(tx, accountId)) > 0) return false;
      await this.codes.deleteAllFor(tx, accountId);
      await this.codes.insertSet(tx, accountId, hashes, now);
      return true;
    });
  }
}
