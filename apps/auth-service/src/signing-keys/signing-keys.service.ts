import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { Clock } from '@keyhaven/config';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { KeyRing } from '../crypto/key-ring';
import { Es256JwtSigner } from './es256-jwt';
import type { SigningKey } from './entities/signing-key.entity';
import { SigningKeyRepository } from './signing-key.repository';

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface ActiveSigningKey {
  kid: string;
  privateKey: KeyObject;
  /** Signs access tokens with this key (its header encoded once). */
  signer: Es256JwtSigner;
}

/** How long a replica trusts its cached idea of the active key before asking the database again. */
const ACTIVE_KEY_CACHE_MS = 60_000;
/** Clock skew allowed between replicas and resource servers when deciding a retired key is dead. */
const PUBLISH_GRACE_MS = 5 * 60_000;
/** How long a cached "this key is active" is believed before the row is read again (another replica may retire it). */
const PUBLIC_KEY_RECHECK_MS = 60_000;

interface CachedPublicKey {
  key: KeyObject;
  retiredAt: Date | undefined;
  loadedAt: number;
}

/**
 * The ES256 keys that sign access tokens. Generated here, private halves sealed with the key
 * ring, public halves published as JWKS. Rotation retires the active key but keeps publishing
 * it — and verifying its tokens — until every token it signed has expired; after that the key
 * is dead here too, so a token forged with a leaked old key (or one minted with a lifetime
 * beyond the configured one) is refused.
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);
  private active: { key: ActiveSigningKey; loadedAt: number } | undefined;
  private readonly publicKeys = new Map<string, CachedPublicKey>();

  constructor(
    private readonly em: EntityManager,
    private readonly repository: SigningKeyRepository,
    private readonly keyRing: KeyRing,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  /** The cached active key while it is believed (no promise: TokenService signs on every refresh). */
  activeKeyIfFresh(): ActiveSigningKey | undefined {
    return this.active && this.clock.nowMs() - this.active.loadedAt < ACTIVE_KEY_CACHE_MS ? this.active.key : undefined;
  }

  async activeKey(): Promise<ActiveSigningKey> {
    const fresh = this.activeKeyIfFresh();
    if (fresh) return fresh;
    const row = (await this.repository.findActive(this.em.fork())) ?? (await this.newActiveKey(false));
    const privateKey = this.openPrivateKey(row);
    const key = { kid: row.kid, privateKey, signer: new Es256JwtSigner(row.kid, privateKey) };
    this.active = { key, loadedAt: this.clock.nowMs() };
    return key;
  }

  /** Retires the active key and makes a new one; answers the new kid. Concurrent rotations run one after another. */
  async rotate(): Promise<string> {
    const row = await this.newActiveKey(true);
    this.active = undefined;
    this.logger.log(`Rotated the token signing key; new kid ${row.kid}`);
    return row.kid;
  }

  async jwks(): Promise<{ keys: PublicJwk[] }> {
    await this.activeKey();
    const cutoff = this.retiredCutoff();
    const rows = await this.repository.published(this.em.fork(), cutoff);
    // The active key first, then the retired ones newest first.
    rows.sort((a, b) => Number(Boolean(a.retiredAt)) - Number(Boolean(b.retiredAt)) || b.createdAt.getTime() - a.createdAt.getTime());
    return { keys: rows.map((row) => toPublicJwk(row)) };
  }

  /**
   * The public key for a kid, for token verification: undefined for a kid we never had and for
   * a key retired so long ago that no token it signed can still be valid (the same cutoff that
   * drops it from the JWKS). A key cached as active is read again after a minute, since another
   * replica may have retired it.
   */
  async publicKey(kid: string): Promise<KeyObject | undefined> {
    let cached = this.publicKeys.get(kid);
    if (!cached || (!cached.retiredAt && this.clock.nowMs() - cached.loadedAt > PUBLIC_KEY_RECHECK_MS)) {
      const row = await this.repository.findByKid(this.em.fork(), kid);
      if (!row) return undefined;
      cached = { key: createPublicKey({ key: { ...toPublicJwk(row) }, format: 'jwk' }), retiredAt: row.retiredAt ?? undefined, loadedAt: this.clock.nowMs() };
      this.publicKeys.set(kid, cached);
    }
    if (cached.retiredAt && cached.retiredAt <= this.retiredCutoff()) return undefined;
    return cached.key;
  }

  /** The longest lifetime (exp − iat) of a token this service issues; longer ones are refused. */
  maxTokenLifetimeMs(): number {
    return Math.max(this.config.accessTokenTtlMs, this.config.pendingTokenTtlMs);
  }

  /** Keys retired at or before this instant signed no token that is still valid. */
  private retiredCutoff(): Date {
    return new Date(this.clock.nowMs() - this.maxTokenLifetimeMs() - PUBLISH_GRACE_MS);
  }

  /** Re-seals private keys that are under an older entry of the ring (the `reencrypt` command). */
  async reencrypt(): Promise<number> {
    const em = this.em.fork();
    let changed = 0;
    for (const row of await this.repository.all(em)) {
      if (!this.keyRing.isStale(row.privateKeySealed)) continue;
      const plain = this.keyRing.decrypt(row.privateKeySealed, sealContext(row.kid));
      changed += await this.repository.replaceSealed(em, row.kid, row.privateKeySealed, this.keyRing.encrypt(plain, sealContext(row.kid)));
    }
    return changed;
  }

  /**
   * Makes a new active key under a transaction-scoped advisory lock, so rotations (and replicas
   * booting together) run one after another: each retires the key that is active when it gets
   * the lock. Without `rotate`, an active key made meanwhile by someone else is taken instead.
   * The partial unique index (one row with retired_at null) backs this up.
   */
  private newActiveKey(rotate: boolean): Promise<SigningKey> {
    return this.em.fork().transactional(async (em) => {
      await this.repository.lockCreation(em);
      if (rotate) {
        await this.repository.retireActive(em, this.clock.now());
      } else {
        const existing = await this.repository.findActive(em);
        if (existing) return existing;
      }
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const publicJwk = { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) };
      const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const row = this.repository.add(em, { kid, publicJwk, privateKeySealed: this.keyRing.encrypt(pem, sealContext(kid)), createdAt: this.clock.now() });
      await em.flush();
      return row;
    });
  }

  private openPrivateKey(row: SigningKey): KeyObject {
    return createPrivateKey(this.keyRing.decrypt(row.privateKeySealed, sealContext(row.kid)).toString('utf8'));
  }
}

function sealContext(kid: string): string {
  return `signing_key:${kid}`;
}

function toPublicJwk(row: SigningKey): PublicJwk {
  return { kty: 'EC', crv: 'P-256', x: row.publicJwk.x, y: row.publicJwk.y, kid: row.kid, alg: 'ES256', use: 'sig' };
}
