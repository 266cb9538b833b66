import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared, runPrepared, type PreparedScope, type SqlRow } from '@keyhaven/database';
import { sealedColumn } from '../crypto/sealed-column';
import type { ClaimRead } from '../second-factors/second-factor.strategy';
import { TotpFactor } from './entities/totp-factor.entity';

/** What the sign-in step reads of a confirmed factor. */
export type ConfirmedTotpFactor = Pick<TotpFactor, 'id' | 'secretSealed' | 'lastUsedAt' | 'lastStep'>;

// The sign-in step's statements, prepared once per pooled connection.
const LIST_CONFIRMED = prepared(
  'totp_factor.list_confirmed',
  'select id, secret_sealed, last_used_at, last_step from auth.totp_factor where account_id = $1 and confirmed_at is not null order by created_at, id',
);
/**
 * The same read as LIST_CONFIRMED, as the second step does it: in the attempt claim's statement
 * (`ClaimRead`), the factors as one json array.
 */
export const CONFIRMED_AT_CLAIM: ClaimRead = {
  name: 'totp_factor.confirmed',
  sql: `select coalesce(json_agg(json_build_object('id', f.id, 'secret_sealed', f.secret_sealed, 'last_used_at', f.last_used_at, 'last_step', f.last_step)
                                 order by f.created_at, f.id), '[]'::json)
          from auth.totp_factor f where f.account_id = claimed.id and f.confirmed_at is not null`,
};
const CONSUME_STEP = prepared(
  'totp_factor.consume_step',
  'update auth.totp_factor set last_step = $1, last_used_at = $2 where id = $3 and confirmed_at is not null and (last_step is null or last_step < $1) returning id',
);

/**
 * Every query on TOTP factors, each on the EntityManager it is given (the caller's audited change,
 * or a fork whose statements each commit on their own); none opens a transaction. The step guard
 * and confirmation are single conditional UPDATEs.
 */
@Injectable()
export class TotpFactorRepository {
  /** The secrets as the boot's key check reads them (KeyCustody). */
  readonly sealedSecrets = sealedColumn('auth.totp_factor', 'id', 'secret_sealed');

  async insert(em: EntityManager, factor: Omit<TotpFactor, 'confirmedAt' | 'lastUsedAt' | 'lastStep'>): Promise<void> {
    await em.insert(TotpFactor, factor);
  }

  listFor(em: EntityManager, accountId: string): Promise<TotpFactor[]> {
    return em.find(TotpFactor, { accountId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async listConfirmed(em: EntityManager, accountId: string): Promise<ConfirmedTotpFactor[]> {
    const { rows } = await runPrepared(em, LIST_CONFIRMED, [accountId]);
    return rows.map(confirmedFactor);
  }

  /** The factors CONFIRMED_AT_CLAIM read. */
  confirmedFromClaim(read: unknown): ConfirmedTotpFactor[] {
    if (!Array.isArray(read)) throw new Error('totp_factor.confirmed: expected a json array');
    return read.map((row) => confirmedFactor(row as SqlRow));
  }

  findOwned(em: EntityManager, id: string, accountId: string): Promise<TotpFactor | null> {
    return em.findOne(TotpFactor, { id, accountId });
  }

  async hasConfirmed(em: EntityManager, accountId: string): Promise<boolean> {
    return (await em.count(TotpFactor, { accountId, confirmedAt: { $ne: null } })) > 0;
  }

  /**
   * The replay guard (RFC 6238 section 5.2: "the verifier MUST NOT accept the second attempt of
   * the same OTP"): a step is taken only if it is newer than the last one taken, decided by the
   * database row lock, so of N racing requests with one code exactly one gets `true`.
   */
  async consumeStep(em: PreparedScope, id: string, step: number, now: Date): Promise<boolean> {
    return (await runPrepared(em, CONSUME_STEP, [step, now, id])).rowCount === 1;
  }

  /** Confirms a pending factor and takes the confirming code's step with it (it cannot sign in again). */
  async confirm(em: EntityManager, id: string, accountId: string, step: number, now: Date): Promise<boolean> {
    const rows: unknown[] = await em.execute(
      'update auth.totp_factor set confirmed_at = ?, last_step = ? where id = ? and account_id = ? and confirmed_at is null returning id',
      [now, step, id, accountId],
    );
    return rows.length === 1;
  }

  async delete(em: EntityManager, id: string, accountId: string): Promise<boolean> {
    return (await em.nativeDelete(TotpFactor, { id, accountId })) === 1;
  }

  deleteAllFor(em: EntityManager, accountId: string): Promise<number> {
    return em.nativeDelete(TotpFactor, { accountId });
  }

  /** Every factor (for `reencrypt`: rows whose secret is sealed under an older key). */
  all(em: EntityManager): Promise<TotpFactor[]> {
    return em.find(TotpFactor, {});
  }

  /** Compare-and-set of the sealed secret: false when another process changed it meanwhile. */
  async replaceSealed(em: EntityManager, id: string, from: string, to: string): Promise<boolean> {
    return (await em.nativeUpdate(TotpFactor, { id, secretSealed: from }, { secretSealed: to })) === 1;
  }
}

/** A row of LIST_CONFIRMED, or an element of CONFIRMED_AT_CLAIM's array (its step a json number, its time a json string). */
function confirmedFactor(row: SqlRow): ConfirmedTotpFactor {
  return {
    id: String(row['id']),
    secretSealed: String(row['secret_sealed']),
    lastUsedAt: row['last_used_at'] ? new Date(row['last_used_at'] as string) : undefined,
    lastStep: row['last_step'] == null ? undefined : String(row['last_step']),
  };
}
