import { Injectable } from '@nestjs/common';
import type { RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SecurityEvent } from './entities/security-event.entity';

/**
 * The queries of `auth.security_event` (append-only: a trigger refuses updates and deletes, except
 * an erasure's removal of user-chosen text, which PersonalDataRepository does). Each runs on the
 * EntityManager it is given; none opens a transaction or commits.
 */
@Injectable()
export class SecurityEventRepository {
  async insert(em: EntityManager, event: RequiredEntityData<SecurityEvent>): Promise<void> {
    await em.insert(SecurityEvent, event);
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
      .execute<{ at: Date | null }[]>('select max(occurred_at) as at from auth.security_event where account_id = ? and type = ?', [accountId, type], 'all', em.getTransactionContext());
    return rows[0]?.at ? new Date(rows[0].at) : undefined;
  }
}
