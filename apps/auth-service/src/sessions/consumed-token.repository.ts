import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** Spent pending tokens (see ConsumedToken). */
@Injectable()
export class ConsumedTokenRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Marks a token as used with one conditional insert: `true` for the first caller, `false` for
   * every later one (or a racing one). Expired rows are pruned in the same statement, a few at a
   * time and skipping rows another request is pruning, so no request waits on another.
   */
  async consume(jti: string, accountId: string, expiresAt: Date, now: Date, tx?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await this.em.getConnection().execute(
      `with pruned as (
         delete from auth.consumed_token where jti in (
           select jti from auth.consumed_token where expires_at < ? limit 100 for update skip locked))
       insert into auth.consumed_token (jti, account_id, expires_at) values (?, ?, ?)
       on conflict (jti) do nothing
       returning jti`,
      [now, jti, accountId, expiresAt],
      'all',
      tx?.getTransactionContext(),
    );
    return rows.length === 1;
  }
}
