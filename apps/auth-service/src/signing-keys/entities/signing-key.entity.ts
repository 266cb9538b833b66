import { Entity, Opt, PrimaryKey, Property } from '@mikro-orm/core';

/** An ES256 key pair for access tokens. At most one is active (retiredAt null; a partial unique index says so). */
@Entity({ tableName: 'signing_key' })
export class SigningKey {
  /** RFC 7638 thumbprint of the public JWK; the `kid` in token headers. */
  @PrimaryKey({ type: 'text' })
  kid!: string;

  @Property({ type: 'json' })
  publicJwk!: { kty: string; crv: string; x: string; y: string };

  /** PKCS#8 PEM sealed with the key ring (AES-256-GCM); never serialised. */
  @Property({ type: 'text', hidden: true })
  privateKeySealed!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  /** Set on rotation; the public key stays published until tokens it signed have expired. */
  @Property({ type: 'timestamptz', nullable: true })
  retiredAt?: Date & Opt;
}
