import { compare, Range, SemVer, valid } from 'semver';

/**
 * Version intervals and a stabbing index over them. Advisory ranges (OSV events) and
 * `upgradeFrom` ranges both become intervals compared by semver 2.0 precedence (prereleases
 * included, as OSV's SEMVER type specifies), so a lookup is a binary search instead of a
 * scan over the catalog.
 */
export interface Bound {
  version: string;
  inclusive: boolean;
}

/** `low` undefined = from the first version; `high` undefined = no upper end. */
export interface VersionInterval {
  low?: Bound;
  high?: Bound;
}

export const byVersion = (a: string, b: string) => compare(a, b);
export const byVersionDesc = (a: string, b: string) => compare(b, a);

/** `v1.2.3`, `=1.2.3` → `1.2.3`; anything that is not semver → undefined. */
export function normalizeVersion(raw: string): string | undefined {
  // semver would trim "1.0.0\n" to 1.0.0; a version with spaces or control characters is a
  // typo or an injection, never a version, so it is refused rather than quietly cleaned.
  if (raw.length > 256 || /[\s\p{Cc}]/u.test(raw)) return undefined;
  const text = raw.replace(/^[=v]+/, '');
  return valid(text) ?? undefined;
}

export function contains(interval: VersionInterval, version: string): boolean {
  if (interval.low) {
    const c = compare(version, interval.low.version);
    if (c < 0 || (c === 0 && !interval.low.inclusive)) return false;
  }
  if (interval.high) {
    const c = compare(version, interval.high.version);
    if (c > 0 || (c === 0 && !interval.high.inclusive)) return false;
  }
  return true;
}

/**
 * A semver range (`>=13.4.0 <14.0.0 || 12.9.x`) as the union of its intervals; undefined
 * when the text is not a range. Every `||` branch is the intersection of its comparators.
 */
export function rangeToIntervals(text: string): VersionInterval[] | undefined {
  let range: Range;
  try {
    range = new Range(text, { includePrerelease: true });
  } catch {
    return undefined;
  }
  const intervals: VersionInterval[] = [];
  for (const comparators of range.set) {
    let interval: VersionInterval | undefined = {};
    for (const comparator of comparators) {
      if (!interval) break;
      const semver = comparator.semver as SemVer | { version?: string };
      const version = (semver as SemVer).version;
      if (!version) continue; // ANY: no constraint
      interval = narrow(interval, comparator.operator, version);
    }
    if (interval) intervals.push(interval);
  }
  return intervals;
}

function narrow(interval: VersionInterval, operator: string, version: string): VersionInterval | undefined {
  const next = { ...interval };
  if (operator === '>' || operator === '>=' || operator === '' || operator === '=') {
    const low = { version, inclusive: operator !== '>' };
    if (!next.low || compare(version, next.low.version) > 0 || (compare(version, next.low.version) === 0 && !low.inclusive)) next.low = low;
  }
  if (operator === '<' || operator === '<=' || operator === '' || operator === '=') {
    const high = { version, inclusive: operator !== '<' };
    if (!next.high || compare(version, next.high.version) < 0 || (compare(version, next.high.version) === 0 && !high.inclusive)) next.high = high;
  }
  if (next.low && next.high) {
    const c = compare(next.low.version, next.high.version);
    if (c > 0 || (c === 0 && !(next.low.inclusive && next.high.inclusive))) return undefined;
  }
  return next;
}

/**
 * Cuts the version line at every interval end: between two cut points (and at each point)
 * the set of intervals containing a version is constant. A version's class is found by
 * binary search, so queries cost O(log points).
 */
class VersionLine {
  readonly points: string[];

  constructor(intervals: readonly VersionInterval[]) {
    const all = new Set<string>();
    for (const interval of intervals) {
      if (interval.low) all.add(interval.low.version);
      if (interval.high) all.add(interval.high.version);
    }
    this.points = [...all].sort(byVersion);
  }

  /** Classes: 2i = strictly below point i (above i-1), 2i+1 = exactly point i, 2n = above all. */
  get classCount(): number {
    return this.points.length * 2 + 1;
  }

  classOf(version: string): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compare(this.points[mid] as string, version);
      if (c === 0) return mid * 2 + 1;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2;
  }

  /** The first and last class an interval covers, or undefined when it is empty. */
  span(interval: VersionInterval): [number, number] | undefined {
    const first = interval.low ? this.classOf(interval.low.version) + (interval.low.inclusive ? 0 : 1) : 0;
    const last = interval.high ? this.classOf(interval.high.version) - (interval.high.inclusive ? 0 : 1) : this.classCount - 1;
    return first <= last ? [first, last] : undefined;
  }
}

/** Every item whose interval contains a version. Memory: the sum of overlaps per class. */
export class IntervalIndex<T> {
  private readonly line: VersionLine;
  private readonly classes: T[][];

  constructor(entries: ReadonlyArray<{ interval: VersionInterval; item: T }>) {
    this.line = new VersionLine(entries.map((e) => e.interval));
    const starts = new Map<number, T[]>();
    const ends = new Map<number, T[]>();
    const add = (map: Map<number, T[]>, index: number, item: T) => {
      const list = map.get(index);
      if (list) list.push(item);
      else map.set(index, [item]);
    };
    for (const { interval, item } of entries) {
      const span = this.line.span(interval);
      if (!span) continue;
      add(starts, span[0], item);
      add(ends, span[1] + 1, item);
    }
    const active = new Map<T, number>();
    this.classes = [];
    for (let index = 0; index < this.line.classCount; index += 1) {
      for (const item of ends.get(index) ?? []) {
        const count = (active.get(item) ?? 0) - 1;
        if (count <= 0) active.delete(item);
        else active.set(item, count);
      }
      for (const item of starts.get(index) ?? []) active.set(item, (active.get(item) ?? 0) + 1);
      this.classes.push([...active.keys()]);
    }
  }

  query(version: string): readonly T[] {
    return this.classes[this.line.classOf(version)] ?? [];
  }
}

/**
 * For every version, the highest-ranked item whose interval contains it. Built by painting
 * classes from the best item down, skipping painted ones (union-find), so building is
 * O((items + classes) α) and memory O(classes) whatever the overlap.
 */
export class BestCoverIndex<T> {
  private readonly line: VersionLine;
  private readonly best: (T | undefined)[];

  /** `entries` must be sorted best first. */
  constructor(entries: ReadonlyArray<{ interval: VersionInterval; item: T }>) {
    this.line = new VersionLine(entries.map((e) => e.interval));
    const count = this.line.classCount;
    this.best = new Array<T | undefined>(count).fill(undefined);
    const next = Int32Array.from({ length: count + 1 }, (_, i) => i);
    const find = (i: number): number => {
      let root = i;
      while (next[root] !== root) root = next[root] as number;
      while (next[i] !== root) {
        const up = next[i] as number;
        next[i] = root;
        i = up;
      }
      return root;
    };
    for (const { interval, item } of entries) {
      const span = this.line.span(interval);
      if (!span) continue;
      for (let index = find(span[0]); index <= span[1]; index = find(index)) {
        this.best[index] = item;
        next[index] = index + 1;
      }
    }
  }

  query(version: string): T | undefined {
    return this.best[this.line.classOf(version)];
  }
}
