import { Injectable } from '@nestjs/common';
import { prepared, runPrepared, type PreparedScope } from '@keyhaven/database';

const CONSUME = prepared(
  'consumed_token.consume',
  `with pruned as (
     delete from auth.consumed_token where jti in (
       select jti from auth.consumed_token where expires_at < $1 limit 100 for update skip locked))
   insert into auth.consumed_token (jti, account_id, expires_at) values ($2, $3, $4)
   on conflict (jti) do nothing
   returning jti`,
);

/** Spent pending tokens (see ConsumedToken). Runs on the EntityManager it is given; never commits on its own. */
@Injectable()
export class ConsumedTokenRepository {
  /**
   * Marks a token as used with one conditional insert: `true` for the first caller, `false` for
   * every later one (or a racing one). Expired rows are pruned in the same statement, a few at a
   * time and skipping rows another request is pruning, so no request waits on another.
   */
  async consume(em: PreparedScope, jti: string, accountId: string, expiresAt: Date, now: Date): Promise<boolean> {
    const { rowCount } = await runPrepared(em, CONSUME, [now, jti, accountId, expiresAt]);
    return rowCount === 1;
  }
}
