import { randomUUID } from 'node:crypto';
import { Entity, Opt, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export type SubscriptionKind = 'webhook' | 'email';

/** Who hears about maintenance: a webhook URL or an email address, for some or all environments. */
@Entity({ tableName: 'maintenance_subscription' })
export class MaintenanceSubscription {
  [OptionalProps]?: 'environments' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  kind!: SubscriptionKind;

  @Property({ type: 'text', nullable: true })
  url?: string | null;

  /** The webhook HMAC secret, sealed (AES-256-GCM, the row id as associated data). Never returned. */
  @Property({ type: 'text', nullable: true, hidden: true })
  secretSealed?: string | null;

  @Property({ type: 'text', nullable: true })
  address?: string | null;

  /** IANA time zone for emails (UTC is always shown too). */
  @Property({ type: 'text', nullable: true })
  timeZone?: string | null;

  /** Environments of interest; empty means all. */
  @Property({ type: 'text[]', default: '{}' })
  environments: string[] & Opt = [];

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  /** Soft delete: its deliveries keep their history. */
  @Property({ type: 'timestamptz', nullable: true })
  removedAt?: Date | null;
}
