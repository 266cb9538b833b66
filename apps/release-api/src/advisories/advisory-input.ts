import { compare } from 'semver';
import type { AdvisoryFields, AffectedRange } from '../catalog/catalog-types';
import { repeatedMetric, scoreVector, Severity } from '../catalog/cvss';
import { normalizeVersion } from '../catalog/semver-intervals';

/** An advisory as the service stores it, whatever it came from (our JSON or OSV). */
export type AdvisoryInput = AdvisoryFields<Date>;

export const ADVISORY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** A problem with one field of an advisory, answered as a 400 with a message a human can act on. */
export class AdvisoryProblem extends Error {
  constructor(
    readonly code: 'invalid_range' | 'invalid_cvss' | 'validation_failed',
    message: string,
  ) {
    super(message);
  }
}

export function checkId(id: string): string {
  if (!ADVISORY_ID.test(id) || id.endsWith('.osv.json')) {
    throw new AdvisoryProblem('validation_failed', `Advisory id "${id.slice(0, 64)}" may use letters, digits and . _ : - (up to 100), e.g. KHSA-2026-0003.`);
  }
  return id;
}

export function checkSeverity(vector: string | null | undefined): Severity | null {
  if (vector === null || vector === undefined) return null;
  const severity = scoreVector(vector);
  const repeated = repeatedMetric(vector);
  if (repeated) {
    throw new AdvisoryProblem('invalid_cvss', `The CVSS vector names the metric ${repeated} twice; each metric may appear once.`);
  }
  if (!severity) {
    throw new AdvisoryProblem(
      'invalid_cvss',
      `"${vector.slice(0, 120)}" is not a complete CVSS base vector; write e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H or a CVSS:4.0/… vector.`,
    );
  }
  return severity;
}

function eventVersion(raw: string, event: string): string {
  const version = normalizeVersion(raw);
  if (!version) throw new AdvisoryProblem('invalid_range', `${event} "${raw.slice(0, 64)}" is not a semver version (e.g. 13.4.2).`);
  return version;
}

/** Checks and normalises OSV-style intervals: semver versions, `introduced` before the end. */
export function checkAffected(ranges: readonly { introduced: string; fixed?: string | null; lastAffected?: string | null }[]): AffectedRange[] {
  if (ranges.length === 0)
    throw new AdvisoryProblem('invalid_range', 'An advisory needs at least one affected range, e.g. {"introduced": "13.0.0", "fixed": "13.4.2"}.');
  return ranges.map((range) => {
    const introduced = range.introduced === '0' ? '0' : eventVersion(range.introduced, 'introduced');
    // "" is not "no fix": dropping it silently turned a fixed range into "affected forever".
    if (range.fixed === '' || range.lastAffected === '') {
      throw new AdvisoryProblem('invalid_range', 'fixed and lastAffected must be versions; leave a field out when it does not apply.');
    }
    if (range.fixed && range.lastAffected) {
      throw new AdvisoryProblem('invalid_range', 'A range ends with either "fixed" (first good version) or "lastAffected" (last bad version), not both.');
    }
    const out: AffectedRange = { introduced };
    if (range.fixed) {
      out.fixed = eventVersion(range.fixed, 'fixed');
      if (introduced !== '0' && compare(out.fixed, introduced) <= 0) {
        throw new AdvisoryProblem('invalid_range', `fixed ${out.fixed} must come after introduced ${introduced}.`);
      }
    }
    if (range.lastAffected) {
      out.lastAffected = eventVersion(range.lastAffected, 'lastAffected');
      if (introduced !== '0' && compare(out.lastAffected, introduced) < 0) {
        throw new AdvisoryProblem('invalid_range', `lastAffected ${out.lastAffected} must not come before introduced ${introduced}.`);
      }
    }
    return out;
  });
}

export function checkFixedIn(versions: readonly string[] | undefined, affected: AffectedRange[]): string[] {
  if (versions === undefined) return [...new Set(affected.flatMap((range) => (range.fixed ? [range.fixed] : [])))].sort(compare);
  return [...new Set(versions.map((v) => eventVersion(v, 'fixedIn')))].sort(compare);
}
