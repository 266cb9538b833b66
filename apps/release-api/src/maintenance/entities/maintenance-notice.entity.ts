import { randomUUID } from 'node:crypto';
import { Entity, ManyToOne, Opt, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import type { NoticeType } from '@keyhaven/release-maintenance';
import { MaintenanceWindow } from './maintenance-window.entity';

export type NoticeState = 'planned' | 'sent' | 'superseded';

/**
 * One notice of one revision of a window, due at a time. Its pg-boss job (same id) is inserted
 * in the same transaction; the worker claims it with a conditional UPDATE, so it fans out once.
 */
@Entity({ tableName: 'maintenance_notice' })
@Unique({ properties: ['window', 'windowSequence', 'key'] })
export class MaintenanceNotice {
  [OptionalProps]?: 'state';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => MaintenanceWindow, deleteRule: 'cascade' })
  window!: MaintenanceWindow;

  @Property({ type: 'text' })
  type!: NoticeType;

  /** Stable within a revision: `announced`, `reminder:3600000`, `started`, … */
  @Property({ type: 'text' })
  key!: string;

  /** The window revision it was planned for. */
  @Property({ type: 'integer' })
  windowSequence!: number;

  @Property({ type: 'timestamptz' })
  dueAt!: Date;

  @Property({ type: 'text', default: 'planned' })
  state: NoticeState & Opt = 'planned';

  @Property({ type: 'timestamptz', nullable: true })
  sentAt?: Date | null;
}
