import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WebAuthnCeremony, WebAuthnChallenge } from './entities/webauthn-challenge.entity';

/** Expired challenges stay an hour, so a late answer hears "expired" rather than "unknown". */
const PRUNE_AFTER_MS = 3_600_000;

export type TakenChallenge = { found: false } | { found: true; expired: boolean; passkey: boolean };

/** Every query on stored challenges, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class WebAuthnChallengeRepository {
  async insert(em: EntityManager, challenge: WebAuthnChallenge): Promise<void> {
    await em.insert(WebAuthnChallenge, challenge);
  }

  /**
   * Takes a challenge with one conditional DELETE … RETURNING: it must exist, belong to this
   * ceremony and account, and can be taken once — of two racing answers only one gets the row.
   * An expired challenge is taken (and so removed) too, and reported as expired. Expired rows
   * of abandoned ceremonies are pruned in the same statement, skipping rows others are pruning.
   */
  async take(em: EntityManager, challenge: string, ceremony: WebAuthnCeremony, accountId: string | null, now: Date): Promise<TakenChallenge> {
    const rows: { expires_at: Date; passkey: boolean }[] = await em.getConnection().execute(
      `with pruned as (
         delete from auth.webauthn_challenge where challenge in (
           select challenge from auth.webauthn_challenge where expires_at < ? and challenge <> ? limit 100 for update skip locked))
       delete from auth.webauthn_challenge
        where challenge = ? and ceremony = ? and account_id is not distinct from ?::uuid
       returning expires_at, passkey`,
      [new Date(now.getTime() - PRUNE_AFTER_MS), challenge, challenge, ceremony, accountId],
      'all',
      em.getTransactionContext(),
    );
    const row = rows[0];
    if (!row) return { found: false };
    return { found: true, expired: new Date(row.expires_at).getTime() <= now.getTime(), passkey: Boolean(row.passkey) };
  }
}
