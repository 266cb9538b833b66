import { Entity, Opt, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** One published version of the product, as on-prem installations see it in the catalog. */
@Entity({ tableName: 'release' })
export class Release {
  [OptionalProps]?: 'editions' | 'security' | 'yanked' | 'createdAt' | 'updatedAt';

  /** A valid semver version, e.g. `14.2.1`; the natural key. */
  @PrimaryKey({ type: 'text' })
  version!: string;

  @Property({ type: 'text' })
  channel!: string;

  /** Editions it applies to; empty means all. */
  @Property({ type: 'text[]', default: '{}' })
  editions: string[] & Opt = [];

  @Property({ type: 'timestamptz' })
  releasedAt!: Date;

  @Property({ type: 'text', nullable: true })
  notesUrl?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  supportedUntil?: Date | null;

  @Property({ type: 'boolean', default: false })
  security: boolean & Opt = false;

  @Property({ type: 'boolean', default: false })
  yanked: boolean & Opt = false;

  /** The semver range of versions that may upgrade straight to this one. */
  @Property({ type: 'text', nullable: true })
  upgradeFrom?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
