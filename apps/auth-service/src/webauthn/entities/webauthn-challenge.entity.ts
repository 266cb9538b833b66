import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';

export type WebAuthnCeremony = 'registration' | 'second_factor' | 'passkey';

/**
 * A challenge handed to the browser, kept on the server until the answer comes back (W3C WebAuthn
 * section 13.4.3: challenges must be random, single-use and checked by the server). Bound to its
 * ceremony and account, so a challenge from one flow or one user is useless in another.
 */
@Entity({ tableName: 'webauthn_challenge' })
@Index({ properties: ['expiresAt'] })
export class WebAuthnChallenge {
  /** base64url of 32 random bytes. */
  @PrimaryKey({ type: 'text' })
  challenge!: string;

  @Property({ type: 'text' })
  ceremony!: WebAuthnCeremony;

  /** Null for passkey sign-in: nobody is known until the assertion names its credential. */
  @Property({ type: 'uuid', nullable: true })
  accountId?: string & Opt;

  /** For registration: a passkey (discoverable, user-verified) was asked for. */
  @Property({ type: 'boolean', default: false })
  passkey: boolean & Opt = false;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;
}
