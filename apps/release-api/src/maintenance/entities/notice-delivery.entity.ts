import { randomUUID } from 'node:crypto';
import { Entity, ManyToOne, Opt, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { MaintenanceNotice } from './maintenance-notice.entity';
import { MaintenanceSubscription } from './maintenance-subscription.entity';

export type DeliveryState = 'pending' | 'delivered' | 'dead';

/** One notice to one subscriber. The id is `Keyhaven-Delivery`: stable across retries and replays. */
@Entity({ tableName: 'notice_delivery' })
@Unique({ properties: ['notice', 'subscription'] })
export class NoticeDelivery {
  [OptionalProps]?: 'state' | 'attempts' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => MaintenanceNotice, deleteRule: 'cascade' })
  notice!: MaintenanceNotice;

  @ManyToOne({ entity: () => MaintenanceSubscription })
  subscription!: MaintenanceSubscription;

  @Property({ type: 'text', default: 'pending' })
  state: DeliveryState & Opt = 'pending';

  @Property({ type: 'integer', default: 0 })
  attempts: number & Opt = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt?: Date | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
