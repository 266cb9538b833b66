import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A key-check value: a known constant sealed under the service's sealing key when that key was
 * first used with this database. Boot opens it, so a process started with another key (a new
 * container without the generated key file, a replica with a different secret) refuses to start
 * instead of serving until the first webhook secret fails to open. Holds no secret itself.
 */
@Entity({ tableName: 'key_check' })
export class KeyCheck {
  /** What the row checks; one row: `sealing_key`. */
  @PrimaryKey({ type: 'text' })
  name!: string;

  /** A short fingerprint of the key (SHA-256 of a derived value), so messages can say which key the data needs. */
  @Property({ type: 'text' })
  fingerprint!: string;

  /** `iv.ciphertext.tag` of the constant, with the row name as associated data. */
  @Property({ type: 'text' })
  checkSealed!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
