import { Entity, Index, Opt, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** A person who signs in. The email is stored normalised (trimmed, lower case). */
@Entity({ tableName: 'account' })
export class Account {
  [OptionalProps]?: 'id' | 'roles' | 'createdAt' | 'updatedAt' | 'passwordHash' | 'directoryRoles';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  email!: string;

  /** Argon2id PHC string; never serialised. Null for a directory account (its password lives in the directory). */
  @Property({ type: 'text', hidden: true, nullable: true })
  passwordHash?: string | null;

  @Property({ type: 'text[]', default: '{}' })
  roles: string[] & Opt = [];

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  /** When this account first signed in under MFA enforcement without a factor. */
  @Property({ type: 'timestamptz', nullable: true })
  mfaGraceStartedAt?: Date & Opt;

  /**
   * Second-factor attempts since the last success, shared by every factor type. Written only
   * by conditional SQL in SecondFactorAttempts, never read-modify-written here.
   */
  @Property({ type: 'integer', default: 0 })
  mfaFailedCount: number & Opt = 0;

  /** The earliest time the next second-factor attempt is taken (the increasing delay). */
  @Property({ type: 'timestamptz', nullable: true })
  mfaNextAttemptAt?: Date & Opt;

  /** Hard lock after too many failures (NIST SP 800-63B 5.2.2); admin reset or time lifts it. */
  @Property({ type: 'timestamptz', nullable: true })
  mfaLockedUntil?: Date & Opt;

  /**
   * The last claimed second-factor attempt while the counter is not zero: the counter's age. The
   * daily retention job clears a counter AUTH_MFA_ATTEMPT_RETENTION after it (never while a delay
   * or lock runs); a success clears it at once.
   */
  @Property({ type: 'timestamptz', nullable: true })
  mfaLastAttemptAt?: Date & Opt;

  /**
   * Self-service deletion (`DELETE /v1/me`): when the grace period ends and the erasure job
   * erases the account. While set, the account cannot sign in and its sessions are revoked;
   * cancelling (the signed link in the mail) clears it.
   */
  @Property({ type: 'timestamptz', nullable: true })
  erasureScheduledAt?: Date & Opt;

  /**
   * A locked account gets no tokens and its sessions are revoked. Set and lifted only by
   * conditional SQL (the directory sync); `lockReason` says who locked it (`ldap_disabled`,
   * `ldap_missing`: the directory, which may also lift it; anything else stays until an admin).
   */
  @Property({ type: 'timestamptz', nullable: true })
  lockedAt?: Date & Opt;

  @Property({ type: 'text', nullable: true })
  lockReason?: string & Opt;

  /** The directory entry's stable id (LDAP_ID_ATTR) for a linked account; null for a local one. */
  @Property({ type: 'text', nullable: true })
  @Unique()
  directoryId?: string & Opt;

  /** The entry's DN at the last sign-in or sync (the password is checked by binding as it). */
  @Property({ type: 'text', nullable: true })
  directoryDn?: string & Opt;

  /** The entry's LDAP_LOGIN_ATTR value, lower case: sign-in finds the account by it. */
  @Property({ type: 'text', nullable: true })
  @Index()
  directoryLogin?: string & Opt;

  /** The roles the directory's groups granted (a subset of `roles`): the only ones a sync removes. */
  @Property({ type: 'text[]', default: '{}' })
  directoryRoles: string[] & Opt = [];
}
