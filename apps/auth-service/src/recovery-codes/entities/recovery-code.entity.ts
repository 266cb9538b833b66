import { Entity, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** One of the ten codes of a user's current set. Only a SHA-256 hash is kept. */
@Entity({ tableName: 'recovery_code' })
@Unique({ properties: ['accountId', 'codeHash'] })
export class RecoveryCode {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'text', hidden: true })
  codeHash!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  usedAt?: Date & Opt;
}
