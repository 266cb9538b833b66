import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TotpFactor } from './entities/totp-factor.entity';

/** Every query on TOTP factors. The step guard and confirmation are single conditional UPDATEs. */
@Injectable()
export class TotpFactorRepository {
  constructor(private readonly em: EntityManager) {}

  /** `tx`: the audited change this write belongs to (see SecurityEventsService.audited). */
  async insert(factor: Omit<TotpFactor, 'confirmedAt' | 'lastUsedAt' | 'lastStep'>, tx: EntityManager = this.em.fork()): Promise<void> {
    await tx.insert(TotpFactor, factor);
  }

  listFor(accountId: string): Promise<TotpFactor[]> {
    return this.em.fork().find(TotpFactor, { accountId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  listConfirmed(accountId: string): Promise<TotpFactor[]> {
    return this.em.fork().find(TotpFactor, { accountId, confirmedAt: { $ne: null } }, { orderBy: { createdAt: 'asc' } });
  }

  findOwned(id: string, accountId: string, tx: EntityManager = this.em.fork()): Promise<TotpFactor | null> {
    return tx.findOne(TotpFactor, { id, accountId });
  }

  async hasConfirmed(accountId: string, tx: EntityManager = this.em.fork()): Promise<boolean> {
    return (await tx.count(TotpFactor, { accountId, confirmedAt: { $ne: null } })) > 0;
  }

  /**
   * The replay guard (RFC 6238 section 5.2: "the verifier MUST NOT accept the second attempt of
   * the same OTP"): a step is taken only if it is newer than the last one taken, decided by the
   * database row lock, so of N racing requests with one code exactly one gets `true`.
   */
  async consumeStep(id: string, step: number, now: Date, tx?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await this.em.getConnection().execute(
      'update auth.totp_factor set last_step = ?, last_used_at = ? where id = ? and confirmed_at is not null and (last_step is null or last_step < ?) returning id',
      [step, now, id, step],
      'all',
      tx?.getTransactionContext(),
    );
    return rows.length === 1;
  }

  /** Confirms a pending factor and takes the confirming code's step with it (it cannot sign in again). */
  async confirm(id: string, accountId: string, step: number, now: Date, tx: EntityManager = this.em.fork()): Promise<boolean> {
    const rows: unknown[] = await tx.execute(
      'update auth.totp_factor set confirmed_at = ?, last_step = ? where id = ? and account_id = ? and confirmed_at is null returning id',
      [now, step, id, accountId],
    );
    return rows.length === 1;
  }

  async delete(id: string, accountId: string, tx: EntityManager = this.em.fork()): Promise<boolean> {
    return (await tx.nativeDelete(TotpFactor, { id, accountId })) === 1;
  }

  async deleteAllFor(accountId: string, tx: EntityManager = this.em.fork()): Promise<number> {
    return tx.nativeDelete(TotpFactor, { accountId });
  }

  /** Rows whose secret is sealed under an older key (for `reencrypt`). */
  all(): Promise<TotpFactor[]> {
    return this.em.fork().find(TotpFactor, {});
  }

  async replaceSealed(id: string, from: string, to: string): Promise<boolean> {
    return (await this.em.fork().nativeUpdate(TotpFactor, { id, secretSealed: from }, { secretSealed: to })) === 1;
  }
}
