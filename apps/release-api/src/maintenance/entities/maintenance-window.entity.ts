import { randomUUID } from 'node:crypto';
import { Entity, Opt, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A planned downtime. Its status follows the clock (scheduled → in_progress → completed);
 * only cancellation is stored. `sequence` is the iCalendar SEQUENCE: +1 on every change.
 */
@Entity({ tableName: 'maintenance_window' })
export class MaintenanceWindow {
  [OptionalProps]?: 'description' | 'environments' | 'shortNotice' | 'sequence' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  title!: string;

  @Property({ type: 'text', default: '' })
  description: string & Opt = '';

  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Property({ type: 'timestamptz' })
  endsAt!: Date;

  /** Affected environments; empty means all. */
  @Property({ type: 'text[]', default: '{}' })
  environments: string[] & Opt = [];

  @Property({ type: 'text', nullable: true })
  emergencyReason?: string | null;

  /** Announced with less than the notice lead (an emergency). */
  @Property({ type: 'boolean', default: false })
  shortNotice: boolean & Opt = false;

  @Property({ type: 'integer', default: 0 })
  sequence: number & Opt = 0;

  /** When the announcement fanned out to subscribers; later changes then notify them. */
  @Property({ type: 'timestamptz', nullable: true })
  announcedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  cancelledAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  cancelReason?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
