import { z } from 'zod';
import { isInstant } from '@keyhaven/errors';
import type { AdvisoryView, AffectedRange } from '../catalog/catalog-types';
import { AdvisoryInput, AdvisoryProblem, checkAffected, checkFixedIn, checkId, checkSeverity } from './advisory-input';

/**
 * OSV 1.6 (https://ossf.github.io/osv-schema/) in and out. Our advisory maps onto one
 * `affected` entry; OSV `summary` is our title, `details` our summary; what OSV has no
 * field for (known exploited, fixed-in per branch) travels in `database_specific`.
 *
 * Exports validate against the official schema (tested against a vendored copy): the id
 * carries a registered home-database prefix or the `x_` prefix OSV reserves for local
 * databases (`x_KHSA-2026-0003`), and `package` names a registered ecosystem — the one in
 * RELEASE_OSV_PACKAGE — or is left out. Imports take only the `affected` entries that are
 * the product's: a GHSA about Maven's akka-actor is not about our versions.
 */
export const OSV_SCHEMA_VERSION = '1.6.0';

export interface OsvPackage {
  ecosystem: string;
  name: string;
}

/**
 * Home-database prefixes registered with OSV (validation/schema.json `$defs.prefix`, the
 * osv-schema commit vendored in apps/release-api/test/fixtures/osv). An id without one is
 * exported under the local prefix `x_`.
 */
const REGISTERED_ID =
  /^(ASB-A|PUB-A|ALPINE|ALSA|ALBA|ALEA|AZL|BELL|BIT|CGA|CLEANSTART|CLSA|CURL|CVE|DEBIAN|DHI|DRUPAL|DSA|DLA|ELA|DTSA|ECHO|EEF|FreeBSD|GHSA|GO|GSD|HSEC|JLSEC|KUBE|LBSEC|LSN|MAL|MINI|MGASA|OESA|OSEC|OSV|openSUSE-SU|PHSA|PSF|PYSEC|RHBA|RHEA|RHSA|RLSA|RXSA|RSEC|ROOT|RUSTSEC|SUSE-[SRFO]U|UBUNTU|USN|V8)-/;
const LOCAL_PREFIX = 'x_';

/** Ecosystems registered with OSV (validation/schema.json `$defs.ecosystemWithSuffix`). */
export const REGISTERED_ECOSYSTEM =
  /^(AlmaLinux|Alpaquita|Alpine|Android|Azure Linux|BellSoft Hardened Containers|Bioconductor|Bitnami|Chainguard|CleanStart|ConanCenter|CRAN|crates\.io|Debian|Docker Hardened Images|Echo|FreeBSD|GHC|GitHub Actions|Go|Hackage|Hex|Julia|Kubernetes|Linux|Mageia|Maven|MinimOS|npm|NuGet|opam|openEuler|openSUSE|OSS-Fuzz|Packagist|Photon OS|Pub|PyPI|Red Hat|Rocky Linux|Root|RubyGems|SUSE|SwiftURL|TuxCare|Ubuntu|VSCode|Wolfi|GIT)(:.+)?$/;

/**
 * The package our exports named before they followed the schema. Imports still take it, so
 * files exported by older versions import again; nothing is exported under it any more.
 */
const LEGACY_PACKAGE: OsvPackage = { ecosystem: 'Keyhaven', name: 'keyhaven' };

/** `RELEASE_OSV_PACKAGE`: `<ecosystem>/<name>`, split at the first `/` (Go and Maven names hold `/` and `:`). */
export function parseOsvPackage(text: string): OsvPackage | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) return undefined;
  const ecosystem = text.slice(0, slash);
  const name = text.slice(slash + 1);
  return REGISTERED_ECOSYSTEM.test(ecosystem) ? { ecosystem, name } : undefined;
}

/** The OSV id of one of our advisories: its own when it has a registered prefix, else `x_<id>`. */
export function osvId(id: string): string {
  return REGISTERED_ID.test(id) ? id : `${LOCAL_PREFIX}${id}`;
}

/** Our id of an OSV id: the local prefix comes off again, so an export imports as the same advisory. */
function advisoryIdOf(id: string): string {
  return id.startsWith(LOCAL_PREFIX) ? id.slice(LOCAL_PREFIX.length) : id;
}

const samePackage = (a: OsvPackage, b: { ecosystem?: string; name?: string }) => a.ecosystem === b.ecosystem && a.name === b.name;

const event = z.object({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});

/** RFC 3339 with an offset, a day that exists, in a year PostgreSQL stores (0000 is not one): the rule of every instant. */
const instant = z.string().refine(isInstant, { message: 'must be an RFC 3339 time with Z or an offset, on a real day in the years 0001–9999' });

const osvDocument = z.object({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: instant,
  published: instant.optional(),
  withdrawn: instant.optional(),
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

/**
 * One OSV document as an advisory of the product. `productPackage` is RELEASE_OSV_PACKAGE:
 * only `affected` entries naming it (or naming no package, as our exports do without it, or
 * the package older exports named) are read; a document with none is refused, saying which
 * packages it is about instead.
 */
export function fromOsv(raw: unknown, now: Date, productPackage: OsvPackage | undefined): AdvisoryInput {
  const parsed = osvDocument.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AdvisoryProblem(
      'validation_failed',
      `Not an OSV document: ${first ? `${first.path.join('.') || '(document)'}: ${first.message}` : 'unknown problem'}.`,
    );
  }
  const doc = parsed.data;
  const ours = (doc.affected ?? []).filter(
    (affected) =>
      !affected.package || samePackage(LEGACY_PACKAGE, affected.package) || (productPackage !== undefined && samePackage(productPackage, affected.package)),
  );
  if (ours.length === 0) {
    const named = [...new Set((doc.affected ?? []).map((affected) => `${affected.package?.ecosystem ?? '?'} ${affected.package?.name ?? '?'}`))];
    const product = productPackage
      ? `${productPackage.ecosystem} ${productPackage.name} (RELEASE_OSV_PACKAGE)`
      : 'entries without a package (RELEASE_OSV_PACKAGE is not set)';
    throw new AdvisoryProblem(
      'validation_failed',
      named.length === 0
        ? `${doc.id.slice(0, 100)} lists no affected package, so nothing in it is about this product.`
        : `${doc.id.slice(0, 100)} is about ${named.slice(0, 5).join(', ').slice(0, 300)}${named.length > 5 ? ', …' : ''}, not this product: only ${product} are imported.`,
    );
  }
  const ranges = ours.flatMap((affected) => [
    ...(affected.ranges ?? []).filter((range) => range.type === 'SEMVER' || range.type === 'ECOSYSTEM').flatMap((range) => eventsToRanges(range.events)),
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
    id: checkId(advisoryIdOf(doc.id)),
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

/**
 * One OSV range per interval. A range may not mix `fixed` and `last_affected` (the schema says
 * so), and OSV readers evaluate a range's events sorted by version, so intervals that overlap or
 * come out of order would merge wrongly inside one range; the union of ranges is exact.
 */
function rangesToOsv(ranges: AffectedRange[]): { type: 'SEMVER'; events: Record<string, string>[] }[] {
  return ranges.map((range) => {
    const events: Record<string, string>[] = [{ introduced: range.introduced }];
    if (range.fixed) events.push({ fixed: range.fixed });
    if (range.lastAffected) events.push({ last_affected: range.lastAffected });
    return { type: 'SEMVER', events };
  });
}

/** The advisory as an OSV record that validates against the official schema. */
export function toOsv(advisory: AdvisoryView, productPackage: OsvPackage | undefined): Record<string, unknown> {
  return {
    schema_version: OSV_SCHEMA_VERSION,
    id: osvId(advisory.id),
    modified: advisory.modifiedAt,
    published: advisory.publishedAt,
    ...(advisory.withdrawnAt ? { withdrawn: advisory.withdrawnAt } : {}),
    aliases: advisory.aliases,
    summary: advisory.title,
    details: advisory.summary,
    ...(advisory.severity ? { severity: [{ type: advisory.severity.type, score: advisory.severity.vector }] } : {}),
    affected: [{ ...(productPackage ? { package: { ...productPackage } } : {}), ranges: rangesToOsv(advisory.affected) }],
    references: advisory.url ? [{ type: 'ADVISORY', url: advisory.url }] : [],
    database_specific: {
      known_exploited: advisory.knownExploited,
      fixed_in: advisory.fixedIn,
      ...(advisory.severity ? { severity_level: advisory.severity.level } : {}),
    },
  };
}
