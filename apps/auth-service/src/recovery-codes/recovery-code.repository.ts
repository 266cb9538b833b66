import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { RecoveryCode } from './entities/recovery-code.entity';

@Injectable()
export class RecoveryCodeRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Replaces the account's set in one transaction. The account row is locked first, so two
   * racing requests (two first confirmations, two regenerations) serialise; with `onlyIfNone`
   * the second one finds the first set and issues nothing.
   */
  async replaceSet(accountId: string, hashes: string[], now: Date, options: { onlyIfNone: boolean }, outer: EntityManager = this.em.fork()): Promise<boolean> {
    // Inside an audited change this runs as a savepoint of its transaction and commits with it.
    return outer.transactional(async (tx) => {
      await tx.execute('select id from auth.account where id = ? for update', [accountId]);
      if (options.onlyIfNone && (await tx.count(RecoveryCode, { accountId })) > 0) return false;
      await tx.nativeDelete(RecoveryCode, { accountId });
      await tx.insertMany(RecoveryCode, hashes.map((codeHash) => ({ id: randomUUID(), accountId, codeHash, createdAt: now })));
      return true;
    });
  }

  /** Single use under concurrency: the first UPDATE to set `used_at` wins, the others match no row. */
  async consume(accountId: string, codeHash: string, now: Date, tx?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await this.em.getConnection().execute(
      'update auth.recovery_code set used_at = ? where account_id = ? and code_hash = ? and used_at is null returning id',
      [now, accountId, codeHash],
      'all',
      tx?.getTransactionContext(),
    );
    return rows.length === 1;
  }

  remaining(accountId: string): Promise<number> {
    return this.em.fork().count(RecoveryCode, { accountId, usedAt: null });
  }

  async deleteAllFor(accountId: string, tx: EntityManager = this.em.fork()): Promise<number> {
    return tx.nativeDelete(RecoveryCode, { accountId });
  }
}
