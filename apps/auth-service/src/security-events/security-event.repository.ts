import { Injectable } from '@nestjs/common';
import type { RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared, runPrepared } from '@keyhaven/database';
import { SecurityEvent } from './entities/security-event.entity';

// One audit row, on the paths that write one per request (the sign-in steps): prepared once per pooled connection.
const INSERT_EVENT = prepared(
  'security_event.insert',
  'insert into auth.security_event (id, type, account_id, actor_id, ip_prefix, details, occurred_at) values ($1, $2, $3, $4, $5, $6::jsonb, $7)',
);

/**
 * The queries of `auth.security_event` (append-only: a trigger refuses updates and deletes, except
 * an erasure's removal of user-chosen text, which PersonalDataRepository does). Each runs on the
 * EntityManager it is given; none opens a transaction or commits.
 */
@Injectable()
export class SecurityEventRepository {
  async insert(em: EntityManager, event: RequiredEntityData<SecurityEvent>): Promise<void> {
    const details = event.details === undefined || event.details === null ? null : JSON.stringify(event.details);
    await runPrepared(em, INSERT_EVENT, [
      event.id as string,
      event.type as string,
      event.accountId as string,
      (event.actorId as string | undefined) ?? null,
      (event.ipPrefix as string | undefined) ?? null,
      details,
      event.occurredAt as Date,
    ]);
  }

  /** One statement for all of them: a directory sync may audit thousands of changes. */
  async insertMany(em: EntityManager, events: readonly RequiredEntityData<SecurityEvent>[]): Promise<void> {
    if (events.length > 0) await em.insertMany(SecurityEvent, [...events]);
  }

  /** An account's events, newest first. */
  listFor(em: EntityManager, accountId: string, limit: number): Promise<SecurityEvent[]> {
    return em.find(SecurityEvent, { accountId }, { orderBy: { occurredAt: 'desc', id: 'desc' }, limit });
  }

  /** When the account's last event of `type` happened, if ever. */
  async lastAt(em: EntityManager, accountId: string, type: string): Promise<Date | undefined> {
    const rows = await em
      .getConnection()
      .execute<{ at: Date | null }[]>(
        'select max(occurred_at) as at from auth.security_event where account_id = ? and type = ?',
        [accountId, type],
        'all',
        em.getTransactionContext(),
      );
    return rows[0]?.at ? new Date(rows[0].at) : undefined;
  }
}
