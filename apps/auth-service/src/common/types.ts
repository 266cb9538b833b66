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
