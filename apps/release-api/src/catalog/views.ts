import type { Advisory } from '../advisories/entities/advisory.entity';
import type { Release } from '../releases/entities/release.entity';
import type { AdvisoryView, ReleaseView } from './catalog-types';

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** The public shape of a release (GET /v1/releases). */
export function toReleaseView(release: Release): ReleaseView {
  return {
    version: release.version,
    channel: release.channel,
    editions: release.editions,
    releasedAt: release.releasedAt.toISOString(),
    notesUrl: release.notesUrl ?? null,
    supportedUntil: iso(release.supportedUntil),
    security: release.security,
    yanked: release.yanked,
    upgradeFrom: release.upgradeFrom ?? null,
  };
}

/** The public shape of an advisory (GET /v1/advisories). */
export function toAdvisoryView(advisory: Advisory): AdvisoryView {
  return {
    id: advisory.id,
    aliases: advisory.aliases,
    title: advisory.title,
    summary: advisory.summary,
    severity:
      advisory.severityType && advisory.severityVector && advisory.severityScore != null && advisory.severityLevel
        ? { type: advisory.severityType, vector: advisory.severityVector, score: advisory.severityScore, level: advisory.severityLevel }
        : null,
    knownExploited: advisory.knownExploited,
    // jsonb reorders keys; give clients the OSV order (introduced, then the end).
    affected: advisory.affected.map((range) => ({
      introduced: range.introduced,
      ...(range.fixed ? { fixed: range.fixed } : {}),
      ...(range.lastAffected ? { lastAffected: range.lastAffected } : {}),
    })),
    fixedIn: advisory.fixedIn,
    url: advisory.url ?? null,
    publishedAt: advisory.publishedAt.toISOString(),
    modifiedAt: advisory.modifiedAt.toISOString(),
    withdrawnAt: iso(advisory.withdrawnAt),
  };
}
