import type { SecurityEventType } from '../security-events/entities/security-event.entity';

/*
 * Shapes several features share. They live here rather than in one feature's service, so a
 * feature imports another feature's service only when it injects it.
 */

/** A second factor as the API shows it (`GET /v1/me/factors`): authenticator apps and WebAuthn credentials alike. */
export interface FactorView {
  id: string;
  type: 'totp' | 'webauthn';
  name: string;
  createdAt: string;
  confirmed: boolean;
  confirmedAt: string | null;
  lastUsedAt: string | null;
  /** WebAuthn only: a discoverable, user-verifying credential that signs in alone. */
  passkey?: boolean;
  /** WebAuthn only: the authenticator says the credential is backed up (a synced passkey). */
  backedUp?: boolean;
}

/** A security event to record, as a feature hands it to SecurityEventsService. */
export interface SecurityEventInput {
  type: SecurityEventType;
  accountId: string;
  /** Defaults to the account itself. */
  actorId?: string;
  ip?: string;
  details?: Record<string, unknown>;
}

/** Lock reasons the directory sets, and so may lift. Any other lock (an admin's) stays. */
export const DIRECTORY_LOCK_REASONS = ['ldap_disabled', 'ldap_missing'] as const;
export type DirectoryLockReason = (typeof DIRECTORY_LOCK_REASONS)[number];

/** A linked account as the directory sync reads it (AccountRepository answers it). */
export interface LinkedAccount {
  id: string;
  email: string;
  roles: string[];
  directoryRoles: string[];
  directoryId: string;
  directoryDn: string | null;
  directoryLogin: string | null;
  lockReason: string | null;
}

/** One change the directory sync writes (AccountRepository applies it); every one but `relink` is audited. */
export type SyncChange =
  | { kind: 'lock'; accountId: string; reason: DirectoryLockReason }
  | { kind: 'unlock'; accountId: string; previousReason: string }
  | { kind: 'mail'; accountId: string; from: string; to: string }
  | { kind: 'roles'; accountId: string; roles: string[]; directoryRoles: string[]; added: string[]; removed: string[] }
  | { kind: 'relink'; accountId: string; dn: string; login: string };
