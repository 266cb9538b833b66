import { Entity, Opt, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** Who changed what in the catalog, subscriptions or deliveries, with the state before and after. Append-only. */
@Entity({ tableName: 'audit_event' })
export class AuditEvent {
  [OptionalProps]?: 'at';

  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  at: Date & Opt = new Date();

  /** The token `sub` of the ops account. */
  @Property({ type: 'text' })
  actorSub!: string;

  @Property({ type: 'text', nullable: true })
  actorEmail?: string | null;

  /** e.g. `release.create`, `release.update`, `advisory.import`. */
  @Property({ type: 'text' })
  action!: string;

  /** The release version, advisory id, window, subscription or delivery id. */
  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'json', nullable: true })
  before?: unknown;

  @Property({ type: 'json', nullable: true })
  after?: unknown;

  /** The catalog sequence this change produced; null for changes outside the catalog (subscriptions, replays). */
  @Property({ type: 'bigint', nullable: true })
  sequence?: string | null;
}
