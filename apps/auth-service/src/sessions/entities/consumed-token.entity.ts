import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The `jti` of every pending token that has completed its second step. The primary key makes
 * a pending token single-use: of two successes with one token only the first insert wins.
 * A row is kept until the token it names would have expired anyway, then pruned.
 */
@Entity({ tableName: 'consumed_token' })
@Index({ properties: ['expiresAt'] })
export class ConsumedToken {
  @PrimaryKey({ type: 'text' })
  jti!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  /** The token's subject, so an erasure takes its rows too (a foreign key that cascades). */
  @Property({ type: 'uuid', nullable: true })
  accountId?: string;
}
