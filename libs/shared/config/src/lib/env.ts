import { z } from 'zod';
import { parseDuration } from './duration';

/**
 * Builders for env var schemas. Each one states what it expects in words, so a bad value
 * stops the boot with a line such as `PORT: expected a port number 1–65535, got "abc"`.
 * Every builder accepts `undefined` (the variable is unset) and falls back to its default.
 */
type Raw = string | undefined;

function show(value: unknown): string {
  return JSON.stringify(value);
}

function field<T>(expectation: string, parse: (raw: string) => T | undefined, fallback?: T) {
  return z
    .string()
    .optional()
    .transform((raw: Raw, ctx): T => {
      const text = raw?.trim();
      if (text === undefined || text === '') {
        if (fallback !== undefined) return fallback;
        ctx.addIssue({ code: 'custom', message: `is required: ${expectation}` });
        return z.NEVER;
      }
      const value = parse(text);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${expectation}, got ${show(raw)}` });
        return z.NEVER;
      }
      return value;
    });
}

function optionalField<T>(expectation: string, parse: (raw: string) => T | undefined) {
  return z
    .string()
    .optional()
    .transform((raw: Raw, ctx): T | undefined => {
      const text = raw?.trim();
      if (text === undefined || text === '') return undefined;
      const value = parse(text);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${expectation}, got ${show(raw)}` });
        return z.NEVER;
      }
      return value;
    });
}

const parseUrl = (protocols: readonly string[]) => (text: string) => {
  try {
    const url = new URL(text);
    return protocols.includes(url.protocol) ? text : undefined;
  } catch {
    return undefined;
  }
};

const parseBool = (text: string) => {
  const lower = text.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  return undefined;
};

const parseList = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

export const env = {
  string: (fallback?: string) => field('a non-empty string', (text) => text, fallback),
  optionalString: () => optionalField('a non-empty string', (text) => text),
  port: (fallback: number) => field('a port number 0–65535', (text) => (/^\d+$/.test(text) && Number(text) <= 65_535 ? Number(text) : undefined), fallback),
  int: (fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) =>
    field(
      `an integer from ${min} to ${max}`,
      (text) => (/^-?\d+$/.test(text) && Number(text) >= min && Number(text) <= max ? Number(text) : undefined),
      fallback,
    ),
  bool: (fallback: boolean) => field('true or false', parseBool, fallback),
  optionalBool: () => optionalField('true or false', parseBool),
  /** A duration such as `72h`, `30m`, `20s` (a bare number is seconds), in milliseconds. */
  duration: (fallback: string) => field('a duration such as 72h, 30m or 20s', parseDuration, parseDuration(fallback)),
  durationList: (fallback: string) =>
    field(
      'a comma-separated list of durations such as 24h,1h',
      (text) => {
        const values = parseList(text).map(parseDuration);
        return values.every((value) => value !== undefined) ? (values as number[]) : undefined;
      },
      parseList(fallback).map((item) => parseDuration(item) as number),
    ),
  list: (fallback: readonly string[] = []) => field('a comma-separated list', parseList, [...fallback]),
  oneOf: <const T extends readonly string[]>(values: T, fallback?: T[number]) =>
    field<T[number]>(`one of ${values.join(', ')}`, (text) => values.find((value) => value === text.toLowerCase()), fallback),
  url: (protocols: readonly string[], fallback?: string) =>
    field(`a URL (${protocols.map((p) => p.replace(':', '')).join(' or ')})`, parseUrl(protocols), fallback),
  optionalUrl: (protocols: readonly string[]) => optionalField(`a URL (${protocols.map((p) => p.replace(':', '')).join(' or ')})`, parseUrl(protocols)),
};

/** Thrown when the environment does not satisfy a service's schema; its message is the boot-stopping line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates `source` (normally `process.env`) against a service schema, once, at boot. */
export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(problems);
}
