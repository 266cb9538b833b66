import { Injectable } from '@nestjs/common';
import { prepared, runPrepared, type PreparedScope } from '@keyhaven/database';
import { WebAuthnCeremony, WebAuthnChallenge } from './entities/webauthn-challenge.entity';

/** Expired challenges stay an hour, so a late answer hears "expired" rather than "unknown". */
const PRUNE_AFTER_MS = 3_600_000;

export type TakenChallenge = { found: false } | { found: true; expired: boolean; passkey: boolean };

// Every WebAuthn sign-in step makes one challenge and takes one: prepared once per pooled connection.
const INSERT = prepared(
  'webauthn_challenge.insert',
  'insert into auth.webauthn_challenge (challenge, ceremony, account_id, passkey, expires_at) values ($1, $2, $3, $4, $5)',
);
const TAKE = prepared(
  'webauthn_challenge.take',
  `with pruned as (
     delete from auth.webauthn_challenge where challenge in (
       select challenge from auth.webauthn_challenge where expires_at < $1 and challenge <> $2 limit 100 for update skip locked))
   delete from auth.webauthn_challenge
    where challenge = $2 and ceremony = $3 and account_id is not distinct from $4::uuid
   returning expires_at, passkey`,
);

/** Every query on stored challenges, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class WebAuthnChallengeRepository {
  async insert(em: PreparedScope, challenge: WebAuthnChallenge): Promise<void> {
    await runPrepared(em, INSERT, [challenge.challenge, challenge.ceremony, challenge.accountId ?? null, challenge.passkey, challenge.expiresAt]);
  }

  /**
   * Takes a challenge with one conditional DELETE … RETURNING: it must exist, belong to this
   * ceremony and account, and can be taken once — of two racing answers only one gets the row.
   * An expired challenge is taken (and so removed) too, and reported as expired. Expired rows
   * of abandoned ceremonies are pruned in the same statement, skipping rows others are pruning.
   */
  async take(em: PreparedScope, challenge: string, ceremony: WebAuthnCeremony, accountId: string | null, now: Date): Promise<TakenChallenge> {
    const rows = (await runPrepared(em, TAKE, [new Date(now.getTime() - PRUNE_AFTER_MS), challenge, ceremony, accountId])).rows;
    const row = rows[0];
    if (!row) return { found: false };
    return { found: true, expired: new Date(row['expires_at'] as string).getTime() <= now.getTime(), passkey: Boolean(row['passkey']) };
  }
}
