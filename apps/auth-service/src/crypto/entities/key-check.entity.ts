import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A key-check value per key of AUTH_ENCRYPTION_KEYS: a known constant sealed under that key the
 * first time the service ran with it against this database. Boot opens each one, so a ring whose
 * key `k1` is not the `k1` the data was sealed with refuses to start (instead of answering 500 to
 * every sign-in). Holds no secret itself.
 */
@Entity({ tableName: 'key_check' })
export class KeyCheck {
  /** The key id in AUTH_ENCRYPTION_KEYS. */
  @PrimaryKey({ type: 'text' })
  kid!: string;

  /** `v1.<kid>.<iv>.<ciphertext+tag>` of the constant (KeyRing format), bound to `key_check:<kid>`. */
  @Property({ type: 'text' })
  checkSealed!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
