import { z } from 'zod';
import type { AdvisoryView, AffectedRange } from '../catalog/catalog-types';
import { AdvisoryInput, AdvisoryProblem, checkAffected, checkFixedIn, checkId, checkSeverity } from './advisory-input';

/**
 * OSV 1.6 (https://ossf.github.io/osv-schema/) in and out. Our advisory maps onto one
 * `affected` package; OSV `summary` is our title, `details` our summary; what OSV has no
 * field for (known exploited, fixed-in per branch) travels in `database_specific`.
 */
export const OSV_SCHEMA_VERSION = '1.6.0';
export const OSV_PACKAGE = { ecosystem: 'Keyhaven', name: 'keyhaven' } as const;

const event = z.object({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});

const osvDocument = z.object({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: z.iso.datetime({ offset: true }),
  published: z.iso.datetime({ offset: true }).optional(),
  withdrawn: z.iso.datetime({ offset: true }).optional(),
  aliases: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(z.object({ type: z.string(), score: z.string() })).optional(),
  affected: z
    .array(
      z.object({
        package: z.object({ ecosystem: z.string(), name: z.string() }).partial().optional(),
        ranges: z.array(z.object({ type: z.string(), events: z.array(event) })).optional(),
        versions: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  references: z.array(z.object({ type: z.string(), url: z.string() })).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

export type OsvDocument = z.infer<typeof osvDocument>;

/** OSV `events` (in the order given) as intervals: each `introduced` opens one, `fixed`/`last_affected` closes it. */
function eventsToRanges(events: z.infer<typeof event>[]): { introduced: string; fixed?: string; lastAffected?: string }[] {
  const ranges: { introduced: string; fixed?: string; lastAffected?: string }[] = [];
  let open: string | undefined;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (open !== undefined) ranges.push({ introduced: open });
      open = e.introduced;
    } else if (e.fixed !== undefined || e.last_affected !== undefined) {
      if (open === undefined) throw new AdvisoryProblem('invalid_range', 'An OSV "fixed"/"last_affected" event must follow an "introduced" event.');
      ranges.push(e.fixed !== undefined ? { introduced: open, fixed: e.fixed } : { introduced: open, lastAffected: e.last_affected });
      open = undefined;
    }
    // `limit` only bounds git commit walks; it has no meaning for semver ranges.
  }
  if (open !== undefined) ranges.push({ introduced: open });
  return ranges;
}

export function fromOsv(raw: unknown, now: Date): AdvisoryInput {
  const parsed = osvDocument.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AdvisoryProblem('validation_failed', `Not an OSV document: ${first ? `${first.path.join('.') || '(document)'}: ${first.message}` : 'unknown problem'}.`);
  }
  const doc = parsed.data;
  const ranges = (doc.affected ?? []).flatMap((affected) => [
    ...(affected.ranges ?? [])
      .filter((range) => range.type === 'SEMVER' || range.type === 'ECOSYSTEM')
      .flatMap((range) => eventsToRanges(range.events)),
    ...(affected.versions ?? []).map((version) => ({ introduced: version, lastAffected: version })),
  ]);
  const affected = checkAffected(ranges);
  const severities = doc.severity ?? [];
  const vector = (severities.find((s) => s.type === 'CVSS_V4') ?? severities.find((s) => s.type === 'CVSS_V3'))?.score;
  const specific = doc.database_specific ?? {};
  const fixedIn = Array.isArray(specific['fixed_in']) ? specific['fixed_in'].filter((v): v is string => typeof v === 'string') : undefined;
  const reference = (doc.references ?? []).find((r) => r.type === 'ADVISORY') ?? (doc.references ?? []).find((r) => r.type === 'WEB');
  const title = doc.summary?.trim() || doc.details?.split('\n')[0]?.slice(0, 200) || doc.id;
  return {
    id: checkId(doc.id),
    aliases: [...new Set(doc.aliases ?? [])],
    title,
    summary: doc.details ?? '',
    severity: checkSeverity(vector),
    knownExploited: specific['known_exploited'] === true,
    affected,
    fixedIn: checkFixedIn(fixedIn, affected),
    url: reference?.url ?? null,
    publishedAt: new Date(doc.published ?? doc.modified),
    modifiedAt: new Date(doc.modified ?? now),
    withdrawnAt: doc.withdrawn ? new Date(doc.withdrawn) : null,
  };
}

function rangesToEvents(ranges: AffectedRange[]): Record<string, string>[] {
  return ranges.flatMap((range): Record<string, string>[] => {
    const events: Record<string, string>[] = [{ introduced: range.introduced }];
    if (range.fixed) events.push({ fixed: range.fixed });
    if (range.lastAffected) events.push({ last_affected: range.lastAffected });
    return events;
  });
}

export function toOsv(advisory: AdvisoryView): Record<string, unknown> {
  return {
    schema_version: OSV_SCHEMA_VERSION,
    id: advisory.id,
    modified: advisory.modifiedAt,
    published: advisory.publishedAt,
    ...(advisory.withdrawnAt ? { withdrawn: advisory.withdrawnAt } : {}),
    aliases: advisory.aliases,
    summary: advisory.title,
    details: advisory.summary,
    ...(advisory.severity ? { severity: [{ type: advisory.severity.type, score: advisory.severity.vector }] } : {}),
    affected: [{ package: { ...OSV_PACKAGE }, ranges: [{ type: 'SEMVER', events: rangesToEvents(advisory.affected) }] }],
    references: advisory.url ? [{ type: 'ADVISORY', url: advisory.url }] : [],
    database_specific: {
      known_exploited: advisory.knownExploited,
      fixed_in: advisory.fixedIn,
      ...(advisory.severity ? { severity_level: advisory.severity.level } : {}),
    },
  };
}
