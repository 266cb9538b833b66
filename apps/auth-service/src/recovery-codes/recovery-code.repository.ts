import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RecoveryCode } from './entities/recovery-code.entity';

/** The queries of `auth.recovery_code`, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class RecoveryCodeRepository {
  count(em: EntityManager, accountId: string): Promise<number> {
    return em.count(RecoveryCode, { accountId });
  }

  /** A new set (the caller deletes the old one first, on the same transaction). */
  async insertSet(em: EntityManager, accountId: string, hashes: readonly string[], now: Date): Promise<void> {
    await em.insertMany(RecoveryCode, hashes.map((codeHash) => ({ id: randomUUID(), accountId, codeHash, createdAt: now })));
  }

  /** Single use under concurrency: the first UPDATE to set `used_at` wins, the others match no row. */
  async consume(em: EntityManager, accountId: string, codeHash: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await em
      .getConnection()
      .execute('update auth.recovery_code set used_at = ? where account_id = ? and code_hash = ? and used_at is null returning id', [now, accountId, codeHash], 'all', em.getTransactionContext());
    return rows.length === 1;
  }

  remaining(em: EntityManager, accountId: string): Promise<number> {
    return em.count(RecoveryCode, { accountId, usedAt: null });
  }

  deleteAllFor(em: EntityManager, accountId: string): Promise<number> {
    return em.nativeDelete(RecoveryCode, { accountId });
  }
}
