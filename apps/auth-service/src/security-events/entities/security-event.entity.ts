import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const SECURITY_EVENT_TYPES = [
  'factor_enrolled',
  'factor_confirmed',
  'factor_removed',
  'mfa_succeeded',
  'mfa_failed',
  'code_reused',
  'recovery_code_used',
  'recovery_codes_regenerated',
  'mfa_locked',
  'admin_factors_reset',
  'passkey_signed_in',
  'passkey_failed',
  'webauthn_counter_regression',
  'password_check_failed',
  // Sessions: ended by the user, an admin or a password change; a spent refresh token presented again.
  'session_revoked',
  'refresh_token_reused',
  'password_changed',
  'device_remembered',
  'devices_forgotten',
  'device_token_ignored',
  'new_device_sign_in',
  // GDPR: a copy of the data handed out, a deletion asked for or called off, an erasure done
  // (this one stays under the erased account's id, its pseudonym).
  'data_exported',
  'account_deletion_requested',
  'account_deletion_cancelled',
  'account_erased',
  // The directory (LDAP/AD): an account linked at first sign-in; locks, unlocks, role and profile changes of a sync.
  'directory_linked',
  'account_locked',
  'account_unlocked',
  'directory_roles_changed',
  'directory_profile_updated',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** The audit trail. Append-only: a trigger in the migration refuses UPDATE and DELETE. */
@Entity({ tableName: 'security_event' })
@Index({ properties: ['accountId', 'occurredAt'] })
export class SecurityEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  type!: SecurityEventType;

  @Property({ type: 'uuid' })
  accountId!: string;

  /** Who did it: the account itself, or an admin for resets. */
  @Property({ type: 'uuid', nullable: true })
  actorId?: string & Opt;

  /** Client IP truncated to its /24 (IPv4) or /48 (IPv6): enough to spot a pattern, not a person. */
  @Property({ type: 'text', nullable: true })
  ipPrefix?: string & Opt;

  @Property({ type: 'json', nullable: true })
  details?: Record<string, unknown> & Opt;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;
}
