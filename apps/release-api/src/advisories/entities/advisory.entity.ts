import { Entity, Opt, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import type { AffectedRange } from '../../catalog/catalog-types';
import type { SeverityLevel, SeverityType } from '../../catalog/cvss';

/** A security advisory, modelled on OSV (https://ossf.github.io/osv-schema/). */
@Entity({ tableName: 'advisory' })
export class Advisory {
  [OptionalProps]?: 'aliases' | 'summary' | 'knownExploited' | 'fixedIn' | 'createdAt';

  /** e.g. `KHSA-2026-0003`; CVE and GHSA ids go to `aliases`. */
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text[]', default: '{}' })
  aliases: string[] & Opt = [];

  /** OSV `summary`. */
  @Property({ type: 'text' })
  title!: string;

  /** OSV `details`. */
  @Property({ type: 'text', default: '' })
  summary: string & Opt = '';

  @Property({ type: 'text', nullable: true })
  severityType?: SeverityType | null;

  @Property({ type: 'text', nullable: true })
  severityVector?: string | null;

  @Property({ type: 'double', nullable: true })
  severityScore?: number | null;

  @Property({ type: 'text', nullable: true })
  severityLevel?: SeverityLevel | null;

  /** Listed as exploited in the wild (e.g. CISA KEV): makes an affected caller's check critical. */
  @Property({ type: 'boolean', default: false })
  knownExploited: boolean & Opt = false;

  @Property({ type: 'json' })
  affected!: AffectedRange[];

  /** The fixed version per branch (major). */
  @Property({ type: 'text[]', default: '{}' })
  fixedIn: string[] & Opt = [];

  @Property({ type: 'text', nullable: true })
  url?: string | null;

  @Property({ type: 'timestamptz' })
  publishedAt!: Date;

  @Property({ type: 'timestamptz' })
  modifiedAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  withdrawnAt?: Date | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
