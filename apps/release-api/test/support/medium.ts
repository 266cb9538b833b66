import { randomUUID } from 'node:crypto';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ManualClock } from '@keyhaven/config';
import { createOrmConfig } from '@keyhaven/database';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { RELEASE_DATABASE } from '../../src/app/release-database';

/**
 * The medium test tier of release-api (as auth-service's `test/support/medium.ts`): a repository
 * or a service with real branching, on a migrated clone of the real schema, without HTTP or Nest.
 * The context inserts rows directly — `newWindow()`, `newNotice()`, `newSubscription()`,
 * `newDelivery()` — so a test states only what it is about, and reads rows back with `sql()`.
 * `em()` is a fresh EntityManager whose statements each commit on their own; `transaction()`
 * runs work on one that commits at its end (the two units of work services open).
 */
export interface MediumContext {
  orm: MikroORM;
  clock: ManualClock;
  em(): EntityManager;
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T>;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  newWindow(overrides?: {
    title?: string;
    startsAt?: Date;
    endsAt?: Date;
    environments?: string[];
    announcedAt?: Date;
    cancelledAt?: Date;
    sequence?: number;
  }): Promise<{ id: string }>;
  newNotice(windowId: string, overrides?: { type?: string; key?: string; state?: 'planned' | 'sent' | 'superseded'; dueAt?: Date }): Promise<{ id: string }>;
  newSubscription(overrides?: {
    kind?: 'webhook' | 'email';
    environments?: string[];
    removedAt?: Date;
    secretSealed?: string | null;
    createdAt?: Date;
  }): Promise<{ id: string }>;
  newDelivery(
    noticeId: string,
    subscriptionId: string,
    overrides?: { state?: 'pending' | 'delivered' | 'dead'; attempts?: number; createdAt?: Date },
  ): Promise<{ id: string }>;
  close(): Promise<void>;
}

/** Text arrays travel as JSON (the driver layer inlines parameters and would expand a bound array). */
const TEXT_ARRAY = 'array(select jsonb_array_elements_text(?::jsonb))';

export async function startMedium(): Promise<MediumContext> {
  const database: TestDatabase = await createTestDatabase(RELEASE_DATABASE);
  const orm = await MikroORM.init(createOrmConfig({ url: database.url, ...RELEASE_DATABASE, poolMax: 10, quiet: true }));
  const clock = new ManualClock('2026-11-27T12:00:00Z');
  const sql: MediumContext['sql'] = async (text, params = []) => (await orm.em.getConnection().execute(text, params as never[])) as never;
  const hours = (n: number) => new Date(clock.nowMs() + n * 3_600_000);
  return {
    orm,
    clock,
    em: () => orm.em.fork(),
    transaction: (work) => orm.em.fork().transactional(work),
    sql,
    async newWindow(overrides = {}) {
      const id = randomUUID();
      await sql(
        `insert into release.maintenance_window (id, title, starts_at, ends_at, environments, sequence, announced_at, cancelled_at, created_at, updated_at)
         values (?, ?, ?, ?, ${TEXT_ARRAY}, ?, ?, ?, ?, ?)`,
        [
          id,
          overrides.title ?? `Window ${id.slice(0, 8)}`,
          overrides.startsAt ?? hours(96),
          overrides.endsAt ?? hours(98),
          JSON.stringify(overrides.environments ?? []),
          overrides.sequence ?? 0,
          overrides.announcedAt ?? null,
          overrides.cancelledAt ?? null,
          clock.now(),
          clock.now(),
        ],
      );
      return { id };
    },
    async newNotice(windowId, overrides = {}) {
      const id = randomUUID();
      const type = overrides.type ?? 'maintenance.announced';
      await sql(
        `insert into release.maintenance_notice (id, window_id, type, key, window_sequence, due_at, state, sent_at)
         values (?, ?, ?, ?, (select sequence from release.maintenance_window where id = ?), ?, ?, ?)`,
        [
          id,
          windowId,
          type,
          overrides.key ?? `${type}-${id.slice(0, 8)}`,
          windowId,
          overrides.dueAt ?? clock.now(),
          overrides.state ?? 'planned',
          overrides.state === 'sent' ? clock.now() : null,
        ],
      );
      return { id };
    },
    async newSubscription(overrides = {}) {
      const id = randomUUID();
      const kind = overrides.kind ?? 'email';
      await sql(
        `insert into release.maintenance_subscription (id, kind, url, secret_sealed, address, environments, created_at, removed_at)
         values (?, ?, ?, ?, ?, ${TEXT_ARRAY}, ?, ?)`,
        [
          id,
          kind,
          kind === 'webhook' ? `https://hooks.example.test/${id}` : null,
          overrides.secretSealed === undefined ? (kind === 'webhook' ? 'sealed' : null) : overrides.secretSealed,
          kind === 'email' ? `ops-${id.slice(0, 8)}@example.test` : null,
          JSON.stringify(overrides.environments ?? []),
          overrides.createdAt ?? clock.now(),
          overrides.removedAt ?? null,
        ],
      );
      return { id };
    },
    async newDelivery(noticeId, subscriptionId, overrides = {}) {
      const id = randomUUID();
      await sql('insert into release.notice_delivery (id, notice_id, subscription_id, state, attempts, created_at) values (?, ?, ?, ?, ?, ?)', [
        id,
        noticeId,
        subscriptionId,
        overrides.state ?? 'pending',
        overrides.attempts ?? 0,
        overrides.createdAt ?? clock.now(),
      ]);
      return { id };
    },
    async close() {
      await orm.close(true);
      await database.drop();
    },
  };
}
