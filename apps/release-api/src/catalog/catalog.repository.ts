import { Injectable } from '@nestjs/common';
import { IsolationLevel } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import type { Actor } from '../app/actor';
import { MaintenanceWindow } from '../maintenance/entities/maintenance-window.entity';
import { Advisory } from '../advisories/entities/advisory.entity';
import { Release } from '../releases/entities/release.entity';
import { AuditEvent } from './entities/audit-event.entity';

export interface AuditEntry {
  action: string;
  subject: string;
  before?: unknown;
  after?: unknown;
}

/** The catalog's queries: snapshots for the check, the sequence, the audit trail. */
@Injectable()
export class CatalogRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  async currentSequence(): Promise<number> {
    const rows = await this.em.fork().getConnection().execute<{ value: string }[]>('select value from release.catalog_sequence where id = 1');
    return Number(rows[0]?.value ?? 0);
  }

  /** Everything a snapshot needs, read in one repeatable-read transaction so rows and sequence agree. */
  async loadAll(): Promise<{ sequence: number; releases: Release[]; advisories: Advisory[]; windows: MaintenanceWindow[] }> {
    return this.em.fork().transactional(
      async (em) => {
        const rows = await em.getConnection().execute<{ value: string }[]>('select value from release.catalog_sequence where id = 1', [], 'all', em.getTransactionContext());
        const releases = await em.find(Release, {});
        const advisories = await em.find(Advisory, {});
        // Window changes bump the same sequence, so the signed check's maintenance[] moves with it.
        const windows = await em.find(MaintenanceWindow, { cancelledAt: null, endsAt: { $gt: this.clock.now() } }, { orderBy: { startsAt: 'asc' } });
        return { sequence: Number(rows[0]?.value ?? 0), releases, advisories, windows };
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
    );
  }

  /**
   * Runs a catalog change: the sequence bump and the audit row commit with it or not at all.
   * The bump is one conditional-free `UPDATE … RETURNING` on the single row, which also
   * serialises concurrent changes (row lock) so sequences are handed out in commit order.
   */
  async change<T>(
    actor: Actor,
    work: (em: EntityManager) => Promise<{ result: T; audit: AuditEntry[] }>,
  ): Promise<{ result: T; sequence: number }> {
    return this.em.fork().transactional(async (em) => {
      const bumped = await em
        .getConnection()
        .execute<{ value: string }[]>('update release.catalog_sequence set value = value + 1 where id = 1 returning value', [], 'all', em.getTransactionContext());
      const sequence = bumped[0]?.value;
      if (sequence === undefined) throw new Error('release.catalog_sequence has no row; were the migrations applied?');
      const { result, audit } = await work(em);
      this.appendAudit(em, actor, audit, sequence);
      await em.flush();
      return { result, sequence: Number(sequence) };
    });
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

  /** Subjects of audit rows with one of `actions`, each with its first such row's time (on `em`'s transaction when given). */
  async auditedSubjects(actions: readonly string[], em?: EntityManager, subject?: string): Promise<{ subject: string; at: Date }[]> {
    const connection = (em ?? this.em.fork()).getConnection();
    const rows = await connection.execute<{ subject: string; at: Date }[]>(
      `select subject, min(at) as at from release.audit_event where action in (${actions.map(() => '?').join(', ')}) ${subject === undefined ? '' : 'and subject = ?'}
        group by subject order by min(at), subject`,
      subject === undefined ? [...actions] : [...actions, subject],
      'all',
      em?.getTransactionContext(),
    );
    return rows.map((row) => ({ subject: row.subject, at: new Date(row.at) }));
  }

  async audit(limit: number): Promise<AuditEvent[]> {
    return this.em.fork().find(AuditEvent, {}, { orderBy: { id: 'desc' }, limit });
  }
}
