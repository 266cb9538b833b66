import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RecoveryCode } from './entities/recovery-code.entity';
import { prepared, runPrepared, type PreparedScope } from '@keyhaven/database';

// The sign-in step's statements, prepared once per pooled connection.
const CONSUME_CODE = prepared(
  'recovery_code.consume',
  'update auth.recovery_code set used_at = $1 where account_id = $2 and code_hash = $3 and used_at is null returning id',
);
const REMAINING = prepared('recovery_code.remaining', 'select count(*)::int as remaining from auth.recovery_code where account_id = $1 and used_at is null');

/** The queries of `auth.recovery_code`, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class RecoveryCodeRepository {
  count(em: EntityManager, accountId: string): Promise<number> {
    return em.count(RecoveryCode, { accountId });
  }

  /** A new set (the caller deletes the old one first, on the same transaction). */
  async insertSet(em: EntityManager, accountId: string, hashes: readonly string[], now: Date): Promise<void> {
    await em.insertMany(
      RecoveryCode,
      hashes.map((codeHash) => ({ id: randomUUID(), accountId, codeHash, createdAt: now })),
    );
  }

  /** Single use under concurrency: the first UPDATE to set `used_at` wins, the others match no row. */
  async consume(em: PreparedScope, accountId: string, codeHash: string, now: Date): Promise<boolean> {
    return (await runPrepared(em, CONSUME_CODE, [now, accountId, codeHash])).rowCount === 1;
  }

  async remaining(em: EntityManager, accountId: string): Promise<number> {
    return Number((await runPrepared(em, REMAINING, [accountId])).rows[0]?.['remaining'] ?? 0);
  }

  deleteAllFor(em: EntityManager, accountId: string): Promise<number> {
    return em.nativeDelete(RecoveryCode, { accountId });
  }
}
