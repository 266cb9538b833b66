import { Injectable } from '@nestjs/common';
import { LockMode, type RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PlannedNotice } from '@keyhaven/release-maintenance';
import { MaintenanceNotice } from './entities/maintenance-notice.entity';
import { MaintenanceSubscription } from './entities/maintenance-subscription.entity';
import { MaintenanceWindow } from './entities/maintenance-window.entity';
import type { DeliveryState } from './entities/notice-delivery.entity';
import type { WindowRecord } from './window-views';

export interface ClaimedNotice {
  id: string;
  windowId: string;
  type: PlannedNotice['type'];
}

export interface DeliveryTarget {
  id: string;
  window: WindowRecord;
  state: DeliveryState;
  type: PlannedNotice['type'];
  windowId: string;
  subscriptionId: string;
  kind: 'webhook' | 'email';
  url: string | null;
  secretSealed: string | null;
  address: string | null;
  timeZone: string | null;
}

export interface DeliveryRow {
  id: string;
  noticeId: string;
  windowId: string;
  type: string;
  subscriptionId: string;
  kind: string;
  target: string;
  state: DeliveryState;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** A PostgreSQL array literal of ids, bound as one parameter (`= any(?::uuid[])`), however many there are. */
const uuidArray = (ids: readonly string[]): string => `{${ids.join(',')}}`;

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

/**
 * The queries of `release.maintenance_window`, `maintenance_notice`, `maintenance_subscription`
 * and `notice_delivery`. Every method runs on the EntityManager it is given — the caller's
 * transaction, or a fork whose statements each commit on their own — and none opens a
 * transaction or commits.
 */
@Injectable()
export class MaintenanceRepository {
  // ---- windows ----

  findWindow(em: EntityManager, id: string): Promise<MaintenanceWindow | null> {
    return em.findOne(MaintenanceWindow, { id });
  }

  /** Not cancelled and not over, soonest first. */
  openWindows(em: EntityManager, now: Date): Promise<MaintenanceWindow[]> {
    return em.find(MaintenanceWindow, { cancelledAt: null, endsAt: { $gt: now } }, { orderBy: { startsAt: 'asc' } });
  }

  /** Over or cancelled, newest first. */
  pastWindows(em: EntityManager, now: Date, since: Date | undefined, limit: number): Promise<MaintenanceWindow[]> {
    const recent = since ? { $or: [{ endsAt: { $gt: since } }, { cancelledAt: { $gt: since } }] } : {};
    return em.find(
      MaintenanceWindow,
      { $and: [{ $or: [{ cancelledAt: { $ne: null } }, { endsAt: { $lte: now } }] }, recent] },
      { orderBy: { startsAt: 'desc' }, limit },
    );
  }

  /** A new window, written with the caller's next flush. */
  addWindow(em: EntityManager, window: RequiredEntityData<MaintenanceWindow>): MaintenanceWindow {
    return em.create(MaintenanceWindow, window);
  }

  /** The window row, locked: changes to one window and its fan-outs are serialised on it (lock order: window, then notices). */
  lockWindow(em: EntityManager, id: string): Promise<MaintenanceWindow | null> {
    return em.findOne(MaintenanceWindow, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Notices of older revisions that have not gone out will not: their jobs find them superseded. */
  async supersedePlanned(em: EntityManager, windowId: string): Promise<void> {
    await em
      .getConnection()
      .execute(
        `update release.maintenance_notice set state = 'superseded' where window_id = ? and state = 'planned'`,
        [windowId],
        'run',
        em.getTransactionContext(),
      );
  }

  addNotices(em: EntityManager, window: MaintenanceWindow, plan: readonly PlannedNotice[]): MaintenanceNotice[] {
    return plan.map((notice) =>
      em.create(MaintenanceNotice, { window, type: notice.type, key: notice.key, windowSequence: window.sequence, dueAt: notice.dueAt }),
    );
  }

  // ---- fan-out (inside the worker's transaction) ----

  /**
   * Claims a due notice: only one run of its job (or one replica) gets the row back. The window
   * is locked first, in the same order as window changes, so the two cannot deadlock.
   */
  async claimNotice(em: EntityManager, noticeId: string, now: Date): Promise<ClaimedNotice | undefined> {
    const connection = em.getConnection();
    const ctx = em.getTransactionContext();
    await connection.execute(
      'select w.id from release.maintenance_window w join release.maintenance_notice n on n.window_id = w.id where n.id = ? for update of w',
      [noticeId],
      'all',
      ctx,
    );
    const rows = await connection.execute<{ id: string; window_id: string; type: ClaimedNotice['type'] }[]>(
      `update release.maintenance_notice set state = 'sent', sent_at = ? where id = ? and state = 'planned' returning id, window_id, type`,
      [now, noticeId],
      'all',
      ctx,
    );
    const row = rows[0];
    if (!row) return undefined;
    if (row.type === 'maintenance.announced') {
      await connection.execute('update release.maintenance_window set announced_at = coalesce(announced_at, ?) where id = ?', [now, row.window_id], 'run', ctx);
    }
    return { id: row.id, windowId: row.window_id, type: row.type };
  }

  /**
   * One delivery per active subscription whose environments meet the window's (an empty list on
   * either side is "all"). One INSERT … SELECT, whatever the number of subscribers; the unique
   * (notice, subscription) key makes a repeated fan-out insert nothing.
   */
  async createDeliveries(em: EntityManager, notice: ClaimedNotice, now: Date): Promise<string[]> {
    const rows = await em.getConnection().execute<{ id: string }[]>(
      `insert into release.notice_delivery (id, notice_id, subscription_id, state, attempts, created_at)
       select gen_random_uuid(), ?, s.id, 'pending', 0, ?
         from release.maintenance_subscription s, release.maintenance_window w
        where w.id = ? and s.removed_at is null
          and (cardinality(s.environments) = 0 or cardinality(w.environments) = 0 or s.environments && w.environments)
       on conflict (notice_id, subscription_id) do nothing
       returning id`,
      [notice.id, now, notice.windowId],
      'all',
      em.getTransactionContext(),
    );
    return rows.map((row) => row.id);
  }

  // ---- deliveries ----

  /** The deliveries, their notices, subscribers and windows in one query. */
  async deliveryTargets(em: EntityManager, deliveryIds: readonly string[]): Promise<DeliveryTarget[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await em.getConnection().execute<
      {
        id: string;
        state: DeliveryState;
        type: DeliveryTarget['type'];
        window_id: string;
        subscription_id: string;
        kind: DeliveryTarget['kind'];
        url: string | null;
        secret_sealed: string | null;
        address: string | null;
        time_zone: string | null;
        title: string;
        description: string;
        starts_at: Date;
        ends_at: Date;
        environments: string[];
        sequence: number;
        short_notice: boolean;
        emergency_reason: string | null;
        cancelled_at: Date | null;
        created_at: Date;
        updated_at: Date;
      }[]
    >(
      `select d.id, d.state, n.type, n.window_id, s.id as subscription_id, s.kind, s.url, s.secret_sealed, s.address, s.time_zone,
              w.title, w.description, w.starts_at, w.ends_at, w.environments, w.sequence, w.short_notice, w.emergency_reason,
              w.cancelled_at, w.created_at, w.updated_at
         from release.notice_delivery d
         join release.maintenance_notice n on n.id = d.notice_id
         join release.maintenance_window w on w.id = n.window_id
         join release.maintenance_subscription s on s.id = d.subscription_id
        where d.id = any(?::uuid[])`,
      [uuidArray(deliveryIds)],
      'all',
      em.getTransactionContext(),
    );
    return rows.map((row) => ({
      id: row.id,
      state: row.state,
      type: row.type,
      windowId: row.window_id,
      subscriptionId: row.subscription_id,
      kind: row.kind,
      url: row.url,
      secretSealed: row.secret_sealed,
      address: row.address,
      timeZone: row.time_zone,
      window: {
        id: row.window_id,
        title: row.title,
        description: row.description,
        startsAt: new Date(row.starts_at),
        endsAt: new Date(row.ends_at),
        environments: row.environments,
        sequence: Number(row.sequence),
        shortNotice: row.short_notice,
        emergencyReason: row.emergency_reason,
        cancelledAt: row.cancelled_at ? new Date(row.cancelled_at) : null,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
      },
    }));
  }

  /** Conditional: a delivery is marked delivered once, whatever races. One statement per batch. */
  async markDelivered(em: EntityManager, deliveryIds: readonly string[], now: Date): Promise<void> {
    if (deliveryIds.length === 0) return;
    await em.getConnection().execute(
      `update release.notice_delivery set state = 'delivered', delivered_at = ?, last_attempt_at = ?, last_error = null, attempts = attempts + 1
        where id = any(?::uuid[]) and state <> 'delivered'`,
      [now, now, uuidArray(deliveryIds)],
      'run',
      em.getTransactionContext(),
    );
  }

  async markFailedAttempt(em: EntityManager, deliveryId: string, error: string, now: Date): Promise<void> {
    await em
      .getConnection()
      .execute(
        `update release.notice_delivery set attempts = attempts + 1, last_error = ?, last_attempt_at = ? where id = ? and state = 'pending'`,
        [error.slice(0, 1000), now, deliveryId],
        'run',
        em.getTransactionContext(),
      );
  }

  async markDead(em: EntityManager, deliveryId: string): Promise<void> {
    await em
      .getConnection()
      .execute(`update release.notice_delivery set state = 'dead' where id = ? and state = 'pending'`, [deliveryId], 'run', em.getTransactionContext());
  }

  /** Back to pending for a replay; undefined when there is no such delivery, the state when it was pending. */
  async reopen(em: EntityManager, deliveryId: string): Promise<'reopened' | 'pending' | undefined> {
    const connection = em.getConnection();
    const ctx = em.getTransactionContext();
    const rows = await connection.execute<{ id: string }[]>(
      `update release.notice_delivery set state = 'pending', last_error = null where id = ? and state in ('dead', 'delivered') returning id`,
      [deliveryId],
      'all',
      ctx,
    );
    if (rows.length > 0) return 'reopened';
    const existing = await connection.execute<{ state: string }[]>('select state from release.notice_delivery where id = ?', [deliveryId], 'all', ctx);
    return existing.length > 0 ? 'pending' : undefined;
  }

  async deliveries(em: EntityManager, filter: { state?: DeliveryState; windowId?: string; id?: string; limit: number }): Promise<DeliveryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state) {
      where.push('d.state = ?');
      params.push(filter.state);
    }
    if (filter.windowId) {
      where.push('n.window_id = ?');
      params.push(filter.windowId);
    }
    if (filter.id) {
      where.push('d.id = ?');
      params.push(filter.id);
    }
    params.push(filter.limit);
    const rows = await em.getConnection().execute<
      {
        id: string;
        notice_id: string;
        window_id: string;
        type: string;
        subscription_id: string;
        kind: string;
        target: string;
        state: DeliveryState;
        attempts: number;
        last_error: string | null;
        last_attempt_at: Date | null;
        delivered_at: Date | null;
        created_at: Date;
      }[]
    >(
      `select d.id, d.notice_id, n.window_id, n.type, d.subscription_id, s.kind, coalesce(s.url, s.address) as target,
              d.state, d.attempts, d.last_error, d.last_attempt_at, d.delivered_at, d.created_at
         from release.notice_delivery d
         join release.maintenance_notice n on n.id = d.notice_id
         join release.maintenance_subscription s on s.id = d.subscription_id
        ${where.length ? `where ${where.join(' and ')}` : ''}
        order by d.created_at desc, d.id
        limit ?`,
      params,
      'all',
      em.getTransactionContext(),
    );
    return rows.map((row) => ({
      id: row.id,
      noticeId: row.notice_id,
      windowId: row.window_id,
      type: row.type,
      subscriptionId: row.subscription_id,
      kind: row.kind,
      target: row.target,
      state: row.state,
      attempts: Number(row.attempts),
      lastError: row.last_error,
      lastAttemptAt: iso(row.last_attempt_at),
      deliveredAt: iso(row.delivered_at),
      createdAt: iso(row.created_at) as string,
    }));
  }

  // ---- subscriptions ----

  findSubscription(em: EntityManager, id: string): Promise<MaintenanceSubscription | null> {
    return em.findOne(MaintenanceSubscription, { id });
  }

  activeSubscriptions(em: EntityManager): Promise<MaintenanceSubscription[]> {
    return em.find(MaintenanceSubscription, { removedAt: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** On the caller's transaction; flushed with it. */
  insertSubscription(em: EntityManager, subscription: Omit<MaintenanceSubscription, 'createdAt' | 'removedAt'> & { createdAt: Date }): MaintenanceSubscription {
    return em.create(MaintenanceSubscription, subscription);
  }

  /**
   * GDPR erasure of a subscriber, on the caller's transaction: its deliveries (pending ones too —
   * their jobs then find nothing to send) and the row itself. Answers the row as it was, or
   * undefined when there was none.
   */
  async eraseSubscription(em: EntityManager, id: string): Promise<{ subscription: MaintenanceSubscription; deliveries: number } | undefined> {
    // The row lock queues a notice fan-out that is inserting deliveries for this subscriber (its
    // foreign-key check locks the row too): it then fails on the missing row and pg-boss retries
    // it without this subscriber, instead of this erasure failing on its fresh delivery.
    const subscription = await em.findOne(MaintenanceSubscription, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!subscription) return undefined;
    const connection = em.getConnection();
    const ctx = em.getTransactionContext();
    const [gone] = await connection.execute<{ count: number }[]>(
      'with gone as (delete from release.notice_delivery where subscription_id = ? returning 1) select count(*)::int as count from gone',
      [id],
      'all',
      ctx,
    );
    await connection.execute('delete from release.maintenance_subscription where id = ?', [id], 'run', ctx);
    return { subscription, deliveries: gone?.count ?? 0 };
  }

  /** A subscriber's delivery history (for its own data link), oldest first. */
  async deliveryHistory(em: EntityManager, subscriptionId: string): Promise<Record<string, unknown>[]> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `select d.id, n.type, n.window_id, w.title, d.state, d.attempts, d.last_attempt_at, d.delivered_at, d.created_at
         from release.notice_delivery d
         join release.maintenance_notice n on n.id = d.notice_id
         join release.maintenance_window w on w.id = n.window_id
        where d.subscription_id = ?
        order by d.created_at, d.id`,
      [subscriptionId],
      'all',
      em.getTransactionContext(),
    );
    return rows.map((row) => ({
      id: row['id'],
      type: row['type'],
      window: { id: row['window_id'], title: row['title'] },
      state: row['state'],
      attempts: Number(row['attempts']),
      lastAttemptAt: iso(row['last_attempt_at'] as Date | null),
      deliveredAt: iso(row['delivered_at'] as Date | null),
      createdAt: iso(row['created_at'] as Date | null),
    }));
  }

  /** Soft delete, once; on the caller's transaction. */
  async removeSubscription(em: EntityManager, id: string, now: Date): Promise<MaintenanceSubscription | undefined> {
    const rows = await em
      .getConnection()
      .execute<{ id: string }[]>(
        'update release.maintenance_subscription set removed_at = ? where id = ? and removed_at is null returning id',
        [now, id],
        'all',
        em.getTransactionContext(),
      );
    return rows.length > 0 ? ((await em.findOne(MaintenanceSubscription, { id })) ?? undefined) : undefined;
  }

  /** Sealed webhook secrets with the row id they were sealed under (for the boot's key check): any `limit` rows, or a random sample. */
  sealedSecrets(em: EntityManager, limit: number, sample: boolean): Promise<{ context: string; sealed: string }[]> {
    return em
      .getConnection()
      .execute<{ context: string; sealed: string }[]>(
        `select id::text as context, secret_sealed as sealed from release.maintenance_subscription where secret_sealed is not null${sample ? ' order by random()' : ''} limit ?`,
        [limit],
        'all',
        em.getTransactionContext(),
      );
  }
}
