import { ReleaseClientError } from './errors';

export const CHECK_STATUSES = ['up_to_date', 'update_available', 'security_update', 'unsupported'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/**
 * The signed answer of `GET /v1/check` (release-api contract v1). Only the fields the client
 * itself relies on are checked; the rest is passed through as the service sends it, and new
 * fields the service adds later are kept (an old client must not break on a newer service).
 */
export interface ReleaseCheckAnswer {
  status: CheckStatus;
  /** An advisory affecting the caller is critical or known to be exploited. */
  critical: boolean;
  current?: { version: string; supported?: boolean; supportedUntil?: string | null; [field: string]: unknown };
  latest?: unknown;
  upgradePath?: unknown[];
  advisories?: unknown[];
  maintenance?: unknown[];
  issuedAt: string;
  expiresAt: string;
  /** Increases with every catalog change; the client refuses to go back. */
  sequence: number;
  [field: string]: unknown;
}

/** Checks the shape of a verified body. Runs only after the signature matched. */
export function parseCheckAnswer(body: Buffer): ReleaseCheckAnswer {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new ReleaseClientError('malformed_answer', 'The signed answer is not JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ReleaseClientError('malformed_answer', 'The signed answer is not a JSON object');
  }
  const answer = value as Record<string, unknown>;
  const problems: string[] = [];
  if (!CHECK_STATUSES.includes(answer['status'] as CheckStatus)) problems.push(`status must be one of ${CHECK_STATUSES.join(', ')}`);
  if (typeof answer['critical'] !== 'boolean') problems.push('critical must be a boolean');
  if (!Number.isSafeInteger(answer['sequence']) || (answer['sequence'] as number) < 0) problems.push('sequence must be a non-negative integer');
  for (const field of ['issuedAt', 'expiresAt']) {
    if (typeof answer[field] !== 'string' || Number.isNaN(Date.parse(answer[field]))) problems.push(`${field} must be a date-time`);
  }
  const current = answer['current'];
  if (current !== undefined && (typeof current !== 'object' || current === null || typeof (current as Record<string, unknown>)['version'] !== 'string')) {
    problems.push('current.version must be a string');
  }
  if (problems.length > 0) {
    throw new ReleaseClientError('malformed_answer', `The signed answer is not a check answer: ${problems.join('; ')}`);
  }
  return answer as ReleaseCheckAnswer;
}

/**
 * `v1.2.3`, `=1.2.3`, `1.2.3+build.7` and `1.2.3` name the same version for the service (it
 * answers with the semver-cleaned form, and build metadata has no precedence).
 */
export function normalizeVersion(version: string): string {
  return version
    .trim()
    .replace(/^[=v]+/i, '')
    .replace(/\+.*$/, '');
}
