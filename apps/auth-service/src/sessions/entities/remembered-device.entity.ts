import { Entity, Index, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * "Remember this device": a device token (256 random bits, stored as its SHA-256 hash) bound to
 * one account, handed out by a second step with `rememberDevice: true`. A password sign-in that
 * presents it skips the second step until `expiresAt` (AUTH_REMEMBER_DEVICE_TTL). Forgetting a
 * device deletes its row; expired rows go with the daily retention job.
 */
@Entity({ tableName: 'remembered_device' })
@Index({ properties: ['accountId'] })
@Index({ properties: ['expiresAt'] })
export class RememberedDevice {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'bytea' })
  @Unique()
  tokenHash!: Buffer;

  @Property({ type: 'text' })
  deviceLabel!: string;

  @Property({ type: 'text', nullable: true })
  network?: string & Opt;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date & Opt;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;
}
