import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';

/** Why a session ended before its time (kept on the row; the security event says the same). */
export const REVOKE_REASONS = [
  'signed_out',
  'revoked_by_user',
  'revoked_by_admin',
  'refresh_token_reused',
  'password_changed',
  'factors_reset',
  'account_locked',
  'account_deletion',
] as const;
export type RevokeReason = (typeof REVOKE_REASONS)[number];

/**
 * One sign-in: created when a sign-in succeeds (password alone, password + second factor,
 * passkey, directory), kept alive by refreshes, ended by `AUTH_SESSION_IDLE` without use,
 * `AUTH_SESSION_MAX` after sign-in, or a revocation. Access tokens name it in `sid`. Written
 * only by SessionStore's SQL; this class describes the table for MikroORM.
 */
@Entity({ tableName: 'session' })
@Index({ properties: ['accountId', 'createdAt'] })
export class Session {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  /** `access`, or `enrollment` for an enroll-only session (MFA enforced, grace period over). */
  @Property({ type: 'text' })
  tokenUse!: string;

  @Property({ type: 'smallint' })
  aal!: number;

  /** RFC 8176 methods reached at sign-in; a refresh keeps them. */
  @Property({ type: 'text[]' })
  amr!: string[];

  /** When the user last proved who they are (the sign-in); a refresh never moves it. */
  @Property({ type: 'timestamptz' })
  authTime!: Date;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  /** The sign-in or the last refresh. */
  @Property({ type: 'timestamptz' })
  lastUsedAt!: Date;

  /** The absolute end (AUTH_SESSION_MAX after sign-in, or the end of the MFA grace period). */
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  /** Browser and system from the User-Agent ("Firefox on Linux"), never the raw header. */
  @Property({ type: 'text' })
  deviceLabel!: string;

  /** The client's network: IPv4 /24 or IPv6 /48, never the address. */
  @Property({ type: 'text', nullable: true })
  network?: string & Opt;

  /** The remembered device whose token let this sign-in skip the second step. */
  @Property({ type: 'uuid', nullable: true })
  rememberedDeviceId?: string & Opt;

  /** SHA-256 of the session's current refresh token (null: its token predates session-bound tokens, see auth.refresh_token). */
  @Property({ type: 'bytea', nullable: true })
  refreshHash?: Buffer & Opt;

  /** How many times the session was refreshed: the generation its current refresh token names. */
  @Property({ type: 'int', default: 0 })
  refreshGeneration!: number & Opt;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date & Opt;

  @Property({ type: 'text', nullable: true })
  revokeReason?: RevokeReason & Opt;
}
