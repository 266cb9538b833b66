import { Injectable } from '@nestjs/common';
import type { RequiredEntityData } from '@mikro-orm/core';
import { prepared, runPrepared, type PreparedScope } from '@keyhaven/database';
import type { SecurityEvent } from '../security-events/entities/security-event.entity';
import { sessionOpenParams, SESSION_INSERT_SQL, type NewSession } from './session.store';

/** An event row as jsonb_to_record(set) reads it (see `eventRecord`). */
const EVENT_RECORD = 'id uuid, type text, account_id uuid, actor_id uuid, ip_prefix text, details jsonb, occurred_at timestamptz';

/**
 * The end of a successful second step, in one statement of the step's transaction (after the
 * pending token and the code were taken): the session row with its first refresh token, the
 * step's audit rows, the attempt counter's reset, the new-device check with its audit row when
 * the device is new, and the recovery codes left for the answer. Each part is what the owning
 * repository's own statement does (SessionStore open and seenBefore, SecurityEventRepository
 * insert, AccountRepository resetSecondFactorAttempts, RecoveryCodeRepository remaining); they
 * are one statement because every sign-in with a second factor runs them, and each round trip
 * costs the service and its database more than the work in it. The parts read the snapshot the
 * statement started with: the new-device check never sees the session it opens (as `id <> $1`
 * ensured before), and the recovery codes count sees the code this transaction took earlier.
 */
const CLOSE_STEP = prepared(
  'sign_in_step.close',
  `with opened as (${SESSION_INSERT_SQL}),
   reset as (
     update auth.account set mfa_failed_count = 0, mfa_next_attempt_at = null, mfa_locked_until = null, mfa_last_attempt_at = null where id = $2),
   seen as (
     select count(*) > 0 as any, coalesce(bool_or(device_label = $10 and network is not distinct from $11), false) as same
       from auth.session where account_id = $2 and id <> $1),
   audited as (
     insert into auth.security_event (id, type, account_id, actor_id, ip_prefix, details, occurred_at)
     select * from jsonb_to_recordset($14::jsonb) as e(${EVENT_RECORD})
     union all
     select n.* from seen, jsonb_to_record($15::jsonb) as n(${EVENT_RECORD}) where seen.any and not seen.same
     returning type)
   select exists (select 1 from audited where type = 'new_device_sign_in') as new_device,
          (select count(*)::int from auth.recovery_code where account_id = $2 and used_at is null) as recovery_codes_remaining`,
);

export type SecurityEventRow = RequiredEntityData<SecurityEvent>;

/** See CLOSE_STEP. Runs on the step's transaction; never commits on its own. */
@Injectable()
export class SignInStepRepository {
  /**
   * Opens `session`, writes `events`, resets the attempt counter and writes `newDevice` if the
   * account has signed in before but never from this device label and network. Answers whether
   * it did, and the account's unused recovery codes.
   */
  async close(
    tx: PreparedScope,
    step: { session: NewSession; refreshHash: Buffer; events: readonly SecurityEventRow[]; newDevice: SecurityEventRow },
  ): Promise<{ newDevice: boolean; recoveryCodesRemaining: number }> {
    const { rows } = await runPrepared(tx, CLOSE_STEP, [
      ...sessionOpenParams(step.session, step.refreshHash),
      JSON.stringify(step.events.map(eventRecord)),
      JSON.stringify(eventRecord(step.newDevice)),
    ]);
    const row = rows[0];
    return { newDevice: row?.['new_device'] === true, recoveryCodesRemaining: Number(row?.['recovery_codes_remaining'] ?? 0) };
  }
}

/** An event row as jsonb_to_record reads it (absent keys are NULL, as the plain insert writes them). */
function eventRecord(event: SecurityEventRow): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    account_id: event.accountId,
    actor_id: event.actorId ?? null,
    ip_prefix: event.ipPrefix ?? null,
    details: event.details ?? null,
    occurred_at: (event.occurredAt as Date).toISOString(),
  };
}
