import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { KeyRing } from '../crypto/key-ring';
import { RandomPool } from '../crypto/random-pool';
import { hashOpaqueToken, parseOpaqueToken } from './opaque-token';

const PREFIX = 'khr_';
const SESSION_ID = 16;
const GENERATION = 4;
const SECRET = 32;
const MAC = 16;
const NAMED = SESSION_ID + GENERATION + SECRET;
/** base64url of 68 bytes, without padding. */
const BODY = /^[A-Za-z0-9_-]{91}$/;

/** A refresh token as presented: session-bound (this form) or from before it (`legacy`). */
export type PresentedRefreshToken = { kind: 'session'; sessionId: string; generation: number; hash: Buffer } | { kind: 'legacy'; hash: Buffer };

/**
 * Refresh tokens bound to their session, so a rotation is one UPDATE of the session row.
 *
 * A token is `khr_` + base64url(session id ‖ generation ‖ 256 random bits ‖ MAC), the MAC an
 * HMAC-SHA-256 (truncated to 128 bits) of the rest under a key derived from AUTH_ENCRYPTION_KEYS.
 * The session row stores only the SHA-256 of its current token and that token's generation; a
 * refresh spends generation g by moving the row to g + 1 with the next token's hash, in one
 * conditional UPDATE (of racing requests with one token exactly one matches).
 *
 * Reuse detection (RFC 9700 section 4.14.2) needs to know that a token which no longer matches
 * was really issued, without keeping every spent token: the MAC says so. A token with a valid MAC
 * naming generation g of a session that is at a later generation is a spent token presented
 * again — theft or replay — and the session is revoked. A token whose MAC does not verify was
 * never issued (guessed, forged from a session id seen in an access token, damaged): it is
 * refused like any unknown token, without touching the database or the session. The random part
 * keeps the token secret (the MAC alone would let anyone with the key compute it); the database
 * holds only hashes, so a copy of it yields no usable token.
 */
@Injectable()
export class RefreshTokens {
  private readonly keys: readonly Buffer[];
  private readonly signingKey: Buffer;
  /** The random part of each token (one per refresh: a draw from a block, not a call into OpenSSL). */
  private readonly random = new RandomPool();

  constructor(ring: KeyRing) {
    this.keys = ring.macKeys('refresh-token v1');
    const [active] = this.keys;
    if (!active) throw new Error('The key ring is empty');
    this.signingKey = active;
  }

  mint(sessionId: string, generation: number): { token: string; hash: Buffer } {
    // One buffer, written in place (every byte of it: allocUnsafe's pooled memory is fine).
    const bytes = Buffer.allocUnsafe(NAMED + MAC);
    if (sessionId.length !== 36 || bytes.write(sessionId.replace(/-/g, ''), 0, SESSION_ID, 'hex') !== SESSION_ID) throw new Error('A session id is a UUID');
    bytes.writeUInt32BE(generation, SESSION_ID);
    this.random.fill(bytes, SESSION_ID + GENERATION, SECRET);
    const named = bytes.subarray(0, NAMED);
    mac(this.signingKey, named).copy(bytes, NAMED);
    const token = PREFIX + bytes.toString('base64url');
    return { token, hash: hashOpaqueToken(token) };
  }

  /** What a presented value is; undefined for anything that is not a token this service issued. */
  parse(value: unknown): PresentedRefreshToken | undefined {
    if (typeof value !== 'string' || !value.startsWith(PREFIX)) return undefined;
    if (!BODY.test(value.slice(PREFIX.length))) {
      const legacy = parseOpaqueToken('refresh', value);
      return legacy ? { kind: 'legacy', hash: legacy } : undefined;
    }
    const bytes = Buffer.from(value.slice(PREFIX.length), 'base64url');
    const named = bytes.subarray(0, NAMED);
    const given = bytes.subarray(NAMED);
    if (!this.keys.some((key) => timingSafeEqual(mac(key, named), given))) return undefined;
    const hex = named.subarray(0, SESSION_ID).toString('hex');
    return {
      kind: 'session',
      sessionId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
      generation: named.readUInt32BE(SESSION_ID),
      hash: hashOpaqueToken(value),
    };
  }
}

function mac(key: Buffer, named: Buffer): Buffer {
  return createHmac('sha256', key).update(named).digest().subarray(0, MAC);
}
