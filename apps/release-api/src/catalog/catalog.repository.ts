import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../app/actor';
import { AuditEvent } from './entities/audit-event.entity';

export interface AuditEntry {
  action: string;
  subject: string;
  before?: unknown;
  after?: unknown;
}

/**
 * The queries of `release.catalog_sequence` and `release.audit_event`. Every method runs on the
 * EntityManager it is given (the caller's unit of work); none opens a transaction or commits.
 */
@Injectable()
export class CatalogRepository {
  async currentSequence(em: EntityManager): Promise<number> {
    const rows = await em
      .getConnection()
      .execute<{ value: string }[]>('select value from release.catalog_sequence where id = 1', [], 'all', em.getTransactionContext());
    return Number(rows[0]?.value ?? 0);
  }

  /**
   * The next sequence: one `UPDATE … RETURNING` on the single row, which also serialises
   * concurrent changes (row lock) so sequences are handed out in commit order.
   */
  async bumpSequence(em: EntityManager): Promise<string> {
    const bumped = await em
      .getConnection()
      .execute<{ value: string }[]>(
        'update release.catalog_sequence set value = value + 1 where id = 1 returning value',
        [],
        'all',
        em.getTransactionContext(),
      );
    const sequence = bumped[0]?.value;
    if (sequence === undefined) throw new Error('release.catalog_sequence has no row; were the migrations applied?');
    return sequence;
  }

  /**
   * Audit rows on the caller's transaction (flushed with it). Changes outside the catalog
   * (subscriptions, unsubscribes, replays) have no `sequence`: they change no check answer.
   */
  appendAudit(em: EntityManager, actor: Actor, entries: readonly AuditEntry[], sequence: string | null = null): void {
    for (const entry of entries) {
      em.create(AuditEvent, {
        actorSub: actor.sub,
        actorEmail: actor.email ?? null,
        action: entry.action,
        subject: entry.subject,
        before: entry.before ?? null,
        after: entry.after ?? null,
        sequence,
      });
    }
  }

  /** Subjects of audit rows with one of `actions`, each with its first such row's time (optionally only `subject`). */
  async auditedSubjects(em: EntityManager, actions: readonly string[], subject?: string): Promise<{ subject: string; at: Date }[]> {
    const rows = await em.getConnection().execute<{ subject: string; at: Date }[]>(
      `select subject, min(at) as at from release.audit_event where action in (${actions.map(() => '?').join(', ')}) ${subject === undefined ? '' : 'and subject = ?'}
        group by subject order by min(at), subject`,
      subject === undefined ? [...actions] : [...actions, subject],
      'all',
      em.getTransactionContext(),
    );
    return rows.map((row) => ({ subject: row.subject, at: new Date(row.at) }));
  }

  audit(em: EntityManager, limit: number): Promise<AuditEvent[]> {
    return em.find(AuditEvent, {}, { orderBy: { id: 'desc' }, limit });
  }

  /** An erased operator's email becomes `pseudonym` in every audit row of theirs; answers the rows changed. */
  async pseudonymiseActor(em: EntityManager, sub: string, pseudonym: string): Promise<number> {
    const rows = await em
      .getConnection()
      .execute<unknown[]>(
        'update release.audit_event set actor_email = ? where actor_sub = ? and actor_email is distinct from ? returning 1',
        [pseudonym, sub, pseudonym],
        'all',
        em.getTransactionContext(),
      );
    return rows.length;
  }
}
