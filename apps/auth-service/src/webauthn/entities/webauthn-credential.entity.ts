import { Entity, Index, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/**
 * One security key or passkey of a user (a WebAuthn public key credential). Nothing here is
 * secret: the private key never leaves the authenticator.
 */
@Entity({ tableName: 'webauthn_credential' })
@Index({ properties: ['accountId'] })
// WebAuthn section 7.1 step 26: a credential id belongs to at most one account.
@Unique({ properties: ['credentialId'] })
@Unique({ properties: ['accountId', 'name'] })
export class WebAuthnCredential {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'text' })
  name!: string;

  /** The credential id as the browser reports it (base64url). */
  @Property({ type: 'text' })
  credentialId!: string;

  /** The COSE public key (base64url). */
  @Property({ type: 'text' })
  publicKey!: string;

  /** The authenticator's signature counter; 0 for authenticators that keep none. */
  @Property({ type: 'bigint' })
  counter!: string;

  @Property({ type: 'text[]', default: '{}' })
  transports: string[] & Opt = [];

  /** The authenticator model; all zeros when attestation was `none`. */
  @Property({ type: 'text' })
  aaguid!: string;

  /** `singleDevice` or `multiDevice` (a synced passkey). */
  @Property({ type: 'text' })
  deviceType!: string;

  @Property({ type: 'boolean' })
  backedUp!: boolean;

  /** Registered as a discoverable credential with user verification: it can sign in alone. */
  @Property({ type: 'boolean' })
  passkey!: boolean;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date & Opt;
}
