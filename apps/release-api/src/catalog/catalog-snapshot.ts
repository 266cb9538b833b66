import { compare, major } from 'semver';
import { affects, windowJson, windowStatus } from '@keyhaven/release-maintenance';
import { toWindowView, type WindowRecord } from '../maintenance/window-views';
import type { AdvisoryView, AffectedRange, CheckAdvisory, CheckAnswer, CheckQuery, LatestRelease, ReleaseView } from './catalog-types';
import { BestCoverIndex, byVersionDesc, IntervalIndex, rangeToIntervals, VersionInterval } from './semver-intervals';

/** OSV events of one affected range as an interval. */
export function affectedInterval(range: AffectedRange): VersionInterval {
  const low = range.introduced === '0' ? undefined : { version: range.introduced, inclusive: true };
  if (range.fixed) return { low, high: { version: range.fixed, inclusive: false } };
  if (range.lastAffected) return { low, high: { version: range.lastAffected, inclusive: true } };
  return { low };
}

/** The releases a caller of one channel and edition may install, and their indexes. */
interface Audience {
  /** Newest first. */
  releases: ReleaseView[];
  latestByChannel: Map<string, ReleaseView>;
  /** The release reachable straight from a version that is newest. */
  nextStep: BestCoverIndex<ReleaseView>;
  /** The newest security release per major. */
  newestSecurityByMajor: Map<number, string>;
}

interface Line {
  /** The newest non-yanked release of the major (the one whose `supportedUntil` is the line's end of life). */
  supportedUntil: string | null;
}

/**
 * An immutable picture of the catalog at one `sequence`, with the structures a check needs
 * prepared once: lookups are hash or binary-search lookups, never scans of the catalog.
 */
export class CatalogSnapshot {
  private readonly byVersion: Map<string, ReleaseView>;
  private readonly affecting: IntervalIndex<AdvisoryView>;
  /** Every distinct `releasedAt` (ms), ascending: the instants at which the released set grows. */
  private readonly releaseTimes: number[];
  /** What callers were last offered, and after how many release instants (time only moves on). */
  private released?: { count: number; catalog: ReleasedCatalog };

  constructor(
    readonly sequence: number,
    /** Newest first. */
    readonly releases: readonly ReleaseView[],
    readonly advisories: readonly AdvisoryView[],
    /** Most conservative first: a follower of channel i also sees channels 0..i. */
    readonly channels: readonly string[],
    /** Maintenance windows that were neither cancelled nor over when the snapshot was taken, soonest first. */
    readonly windows: readonly WindowRecord[] = [],
  ) {
    this.byVersion = new Map(releases.map((r) => [r.version, r]));
    this.releaseTimes = [...new Set(releases.map((r) => Date.parse(r.releasedAt)))].sort((a, b) => a - b);
    this.affecting = new IntervalIndex(
      advisories
        .filter((a) => a.withdrawnAt === null)
        .flatMap((advisory) => advisory.affected.map((range) => ({ interval: affectedInterval(range), item: advisory }))),
    );
  }

  /**
   * The first end of life after `now`: an answer issued before it may turn from supported to
   * unsupported at that instant, so a cache must not keep it longer (ms; Infinity if none).
   */
  nextSupportChange(now: Date): number {
    let next = Number.POSITIVE_INFINITY;
    for (const line of this.releasedBy(now).supportLines.values()) {
      const at = line.supportedUntil ? new Date(line.supportedUntil).getTime() : Number.NaN;
      if (at > now.getTime() && at < next) next = at;
    }
    return next;
  }

  /**
   * The next `releasedAt` after `now`: a scheduled release is held back until then (the embargo
   * a security release needs: published ahead, revealed on time), so an answer issued before it
   * must not be served past it (ms; Infinity if none).
   */
  nextRelease(now: Date): number {
    return this.releaseTimes[this.releasedCount(now)] ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The next start or end of a window after `now`: the `status` of a window in an answer
   * changes then, and a window leaves the list at its end (ms; Infinity if none).
   */
  nextMaintenanceChange(now: Date): number {
    let next = Number.POSITIVE_INFINITY;
    for (const window of this.windows) {
      for (const at of [window.startsAt.getTime(), window.endsAt.getTime()]) if (at > now.getTime() && at < next) next = at;
    }
    return next;
  }

  /** Upcoming and running windows affecting the environment, as in webhook bodies. */
  maintenanceFor(environment: string, now: Date) {
    return this.windows
      .filter((window) => affects(window, environment) && windowStatus(window, now) !== 'completed')
      .map((window) => windowJson(toWindowView(window, now)));
  }

  release(version: string): ReleaseView | undefined {
    return this.byVersion.get(version);
  }

  advisoriesAffecting(version: string): AdvisoryView[] {
    return [...this.affecting.query(version)].sort((a, b) => a.id.localeCompare(b.id));
  }

  check(query: CheckQuery, now: Date, validityMs: number): CheckAnswer {
    const { version } = query;
    const released = this.releasedBy(now);
    const audience = released.audience(query.channel, query.edition);
    const known = this.byVersion.get(version);
    const support = released.support(version, now);
    const advisories = this.advisoriesAffecting(version);
    const target = audience.releases[0] && compare(audience.releases[0].version, version) > 0 ? audience.releases[0] : undefined;
    const { path, complete } = target ? this.upgradePath(audience, version, target.version) : { path: [], complete: true };
    const newestSecurity = audience.newestSecurityByMajor.get(major(version));
    const securityRelease = newestSecurity !== undefined && compare(newestSecurity, version) > 0;

    let status: CheckAnswer['status'] = 'up_to_date';
    if (!support.supported) status = 'unsupported';
    else if (advisories.length > 0 || securityRelease) status = 'security_update';
    else if (target) status = 'update_available';

    const latest: Record<string, LatestRelease> = {};
    for (const channel of visibleChannels(this.channels, query.channel)) {
      const release = audience.latestByChannel.get(channel);
      if (release) latest[channel] = { version: release.version, releasedAt: release.releasedAt, notesUrl: release.notesUrl, security: release.security };
    }
    return {
      status,
      critical: advisories.some((a) => a.knownExploited || a.severity?.level === 'critical'),
      current: { version, known: known !== undefined, yanked: known?.yanked ?? false, ...support },
      latest,
      target: target?.version ?? null,
      upgradePath: path,
      upgradePathComplete: complete,
      advisories: advisories.map(toCheckAdvisory),
      maintenance: this.maintenanceFor(query.environment, now),
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + validityMs).toISOString(),
      sequence: this.sequence,
    };
  }

  /** How many release instants have passed at `now` (the index of the next one). */
  private releasedCount(now: Date): number {
    const times = this.releaseTimes;
    let low = 0;
    let high = times.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((times[mid] as number) <= now.getTime()) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * The catalog as callers see it at `now`: releases whose `releasedAt` has come. Built once per
   * release instant passed (the set only grows with time), so a check stays a lookup; with no
   * release scheduled that is once per snapshot.
   */
  private releasedBy(now: Date): ReleasedCatalog {
    const count = this.releasedCount(now);
    if (this.released?.count !== count) {
      const cutoff = count === 0 ? Number.NEGATIVE_INFINITY : (this.releaseTimes[count - 1] as number);
      this.released = {
        count,
        catalog: new ReleasedCatalog(
          this.releases.filter((r) => Date.parse(r.releasedAt) <= cutoff),
          this.channels,
        ),
      };
    }
    return this.released.catalog;
  }

  /**
   * Stepping stones: from the caller's version, always jump to the newest release whose
   * `upgradeFrom` admits the current step, until the target. Each step is one index lookup;
   * the path is at most one step per major in a sane catalog (capped against loops).
   */
  private upgradePath(audience: Audience, from: string, target: string): { path: string[]; complete: boolean } {
    const path: string[] = [];
    let current = from;
    while (compare(current, target) < 0 && path.length < 100) {
      const next = audience.nextStep.query(current);
      if (!next || compare(next.version, current) <= 0) return { path, complete: false };
      path.push(next.version);
      current = next.version;
    }
    return { path, complete: compare(current, target) >= 0 };
  }
}

/** The releases of one moment (scheduled ones left out) and what checks derive from them. */
class ReleasedCatalog {
  private readonly lines = new Map<number, Line>();
  private readonly maxMajor: number | undefined;
  private readonly audiences = new Map<string, Audience>();

  constructor(
    /** Newest first. */
    private readonly releases: readonly ReleaseView[],
    private readonly channels: readonly string[],
  ) {
    for (const release of [...releases].reverse()) {
      // Oldest to newest: the newest non-yanked release of a major decides the line's end of life.
      const key = major(release.version);
      if (!this.lines.has(key) || !release.yanked) this.lines.set(key, { supportedUntil: release.supportedUntil });
    }
    const majors = [...this.lines.keys()];
    this.maxMajor = majors.reduce<number | undefined>((max, m) => (max === undefined || m > max ? m : max), undefined);
  }

  /** The end of life per major line. */
  get supportLines(): ReadonlyMap<number, Line> {
    return this.lines;
  }

  /** Support is per major line; a major the catalog never shipped is judged by its neighbours. */
  support(version: string, now: Date): { supported: boolean; supportedUntil: string | null } {
    const key = major(version);
    const line = this.lines.get(key);
    if (line) {
      const supported = line.supportedUntil === null || new Date(line.supportedUntil).getTime() > now.getTime();
      return { supported, supportedUntil: line.supportedUntil };
    }
    // Newer than every line (a development build or an empty catalog): nothing to say against it.
    if (this.maxMajor === undefined || key > this.maxMajor) return { supported: true, supportedUntil: null };
    // Older than every line, or a major that was never released: not a supported line.
    return { supported: false, supportedUntil: null };
  }

  audience(channel: string, edition: string): Audience {
    const key = `${channel}\u0000${edition}`;
    const cached = this.audiences.get(key);
    if (cached) return cached;
    const visible = new Set(visibleChannels(this.channels, channel));
    const releases = this.releases.filter((r) => !r.yanked && visible.has(r.channel) && (r.editions.length === 0 || r.editions.includes(edition)));
    const latestByChannel = new Map<string, ReleaseView>();
    const newestSecurityByMajor = new Map<number, string>();
    const entries: { interval: VersionInterval; item: ReleaseView }[] = [];
    for (const release of releases) {
      if (!latestByChannel.has(release.channel)) latestByChannel.set(release.channel, release);
      if (release.security && !newestSecurityByMajor.has(major(release.version))) newestSecurityByMajor.set(major(release.version), release.version);
      // No `upgradeFrom`: every older version may upgrade straight to it.
      const intervals = release.upgradeFrom ? (rangeToIntervals(release.upgradeFrom) ?? []) : [{ high: { version: release.version, inclusive: false } }];
      for (const interval of intervals) entries.push({ interval, item: release });
    }
    const audience: Audience = {
      releases,
      latestByChannel,
      newestSecurityByMajor,
      nextStep: new BestCoverIndex(entries), // releases are newest first, so entries are best first
    };
    this.audiences.set(key, audience);
    return audience;
  }
}

/** Most conservative first: a follower of a channel also sees those listed before it. */
function visibleChannels(channels: readonly string[], channel: string): readonly string[] {
  return channels.slice(0, channels.indexOf(channel) + 1);
}

export function toCheckAdvisory(advisory: AdvisoryView): CheckAdvisory {
  return {
    id: advisory.id,
    aliases: advisory.aliases,
    title: advisory.title,
    severity: advisory.severity,
    knownExploited: advisory.knownExploited,
    affected: advisory.affected,
    fixedIn: advisory.fixedIn,
    url: advisory.url,
  };
}

export function sortReleasesNewestFirst<T extends { version: string }>(releases: T[]): T[] {
  return releases.sort((a, b) => byVersionDesc(a.version, b.version));
}
