import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Every refresh token a session was given, as a SHA-256 hash (the token itself is 256 random
 * bits: no salt or slow hash needed). The unspent one is the session's current token; spent
 * ones stay until the session's row goes, so presenting one again is recognised as theft
 * (RFC 9700 section 4.14.2) rather than as an unknown token.
 */
@Entity({ tableName: 'refresh_token' })
@Index({ properties: ['sessionId'] })
export class RefreshToken {
  @PrimaryKey({ type: 'bytea' })
  tokenHash!: Buffer;

  @Property({ type: 'uuid' })
  sessionId!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  spentAt?: Date & Opt;
}
