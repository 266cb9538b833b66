import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** One authenticator app of a user. Pending until confirmed with a valid code. */
@Entity({ tableName: 'totp_factor' })
@Index({ properties: ['accountId'] })
export class TotpFactor {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'text' })
  name!: string;

  /** The base32 secret sealed with the key ring, bound to this row's id; never serialised. */
  @Property({ type: 'text', hidden: true })
  secretSealed!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  confirmedAt?: Date & Opt;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date & Opt;

  /** The highest RFC 6238 time step accepted; each step is taken at most once (replay guard). */
  @Property({ type: 'bigint', nullable: true })
  lastStep?: string & Opt;
}
