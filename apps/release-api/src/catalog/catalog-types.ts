import type { windowJson } from '@keyhaven/release-maintenance';
import type { Severity } from './cvss';

/** One affected interval, as OSV events: `introduced` (inclusive, "0" = from the start) then `fixed` (exclusive) or `lastAffected` (inclusive). */
export interface AffectedRange {
  introduced: string;
  fixed?: string;
  lastAffected?: string;
}

export interface ReleaseView {
  version: string;
  channel: string;
  editions: string[];
  releasedAt: string;
  notesUrl: string | null;
  supportedUntil: string | null;
  security: boolean;
  yanked: boolean;
  upgradeFrom: string | null;
}

/** An advisory's fields; `Time` is how its times are held: `Date` in the service, ISO strings on the wire. */
export interface AdvisoryFields<Time> {
  id: string;
  aliases: string[];
  title: string;
  summary: string;
  severity: Severity | null;
  knownExploited: boolean;
  affected: AffectedRange[];
  fixedIn: string[];
  url: string | null;
  publishedAt: Time;
  modifiedAt: Time;
  withdrawnAt: Time | null;
}

export type AdvisoryView = AdvisoryFields<string>;

export type CheckStatus = 'up_to_date' | 'update_available' | 'security_update' | 'unsupported';

export interface LatestRelease {
  version: string;
  releasedAt: string;
  notesUrl: string | null;
  security: boolean;
}

export interface CheckAdvisory {
  id: string;
  aliases: string[];
  title: string;
  severity: Severity | null;
  knownExploited: boolean;
  affected: AffectedRange[];
  fixedIn: string[];
  url: string | null;
}

/** The check answer of the DESIGN contract, fields in the order they are serialised. */
export interface CheckAnswer {
  status: CheckStatus;
  critical: boolean;
  current: { version: string; known: boolean; yanked: boolean; supported: boolean; supportedUntil: string | null };
  latest: Record<string, LatestRelease>;
  target: string | null;
  upgradePath: string[];
  upgradePathComplete: boolean;
  advisories: CheckAdvisory[];
  /** Upcoming and running maintenance windows for the caller's environment. */
  maintenance: ReturnType<typeof windowJson>[];
  issuedAt: string;
  expiresAt: string;
  sequence: number;
}

export interface CheckQuery {
  version: string;
  channel: string;
  edition: string;
  environment: string;
}
