import { hash, randomBytes } from 'node:crypto';

/**
 * Opaque bearer secrets of sessions: a prefix that says what it is (and lets secret scanners
 * find a leaked one), then 256 random bits in base64url. Stored only as SHA-256: with 256 bits
 * of entropy a plain hash cannot be reversed, and a lookup by hash is one index probe.
 */
export type OpaqueTokenKind = 'refresh' | 'device';

const PREFIX: Record<OpaqueTokenKind, string> = { refresh: 'khr_', device: 'khd_' };
const BODY = /^[A-Za-z0-9_-]{43}$/;

export function newOpaqueToken(kind: OpaqueTokenKind): { token: string; hash: Buffer } {
  const token = PREFIX[kind] + randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

/** SHA-256 of the token's UTF-8 (one-shot `crypto.hash`: no Hash object per call on the refresh path). */
export function hashOpaqueToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** The hash of a well-formed token of this kind, or undefined (malformed: refused like an unknown one). */
export function parseOpaqueToken(kind: OpaqueTokenKind, value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !value.startsWith(PREFIX[kind]) || !BODY.test(value.slice(PREFIX[kind].length))) return undefined;
  return hashOpaqueToken(value);
}
