import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { Clock } from '@keyhaven/config';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { KeyRing } from '../crypto/key-ring';
import { SigningKey } from './entities/signing-key.entity';

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
}

/** How long a replica trusts its cached idea of the active key before asking the database again. */
const ACTIVE_KEY_CACHE_MS = 60_000;
/** Clock skew allowed between replicas and resource servers when deciding a retired key is dead. */
const PUBLISH_GRACE_MS = 5 * 60_000;

/**
 * The ES256 keys that sign access tokens. Generated here, private halves sealed with the key
 * ring, public halves published as JWKS. Rotation retires the active key but keeps publishing
 * it until every token it signed has expired.
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);
  private active: { key: ActiveSigningKey; loadedAt: number } | undefined;
  private readonly publicKeys = new Map<string, KeyObject>();

  constructor(
    private readonly em: EntityManager,
    private readonly keyRing: KeyRing,
    private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async activeKey(): Promise<ActiveSigningKey> {
    if (this.active && this.clock.nowMs() - this.active.loadedAt < ACTIVE_KEY_CACHE_MS) return this.active.key;
    const em = this.em.fork();
    let row = await em.findOne(SigningKey, { retiredAt: null });
    if (!row) row = await this.create(em);
    const key = { kid: row.kid, privateKey: this.openPrivateKey(row) };
    this.active = { key, loadedAt: this.clock.nowMs() };
    return key;
  }

  /** Retires the active key and makes a new one; answers the new kid. */
  async rotate(): Promise<string> {
    const em = this.em.fork();
    await em.nativeUpdate(SigningKey, { retiredAt: null }, { retiredAt: this.clock.now() });
    const row = await this.create(em);
    this.active = undefined;
    this.logger.log(`Rotated the token signing key; new kid ${row.kid}`);
    return row.kid;
  }

  async jwks(): Promise<{ keys: PublicJwk[] }> {
    await this.activeKey();
    const cutoff = new Date(this.clock.nowMs() - Math.max(this.config.accessTokenTtlMs, this.config.pendingTokenTtlMs) - PUBLISH_GRACE_MS);
    const rows = await this.em.fork().find(SigningKey, { $or: [{ retiredAt: null }, { retiredAt: { $gt: cutoff } }] }, { orderBy: { createdAt: 'desc' } });
    // The active key first, then the retired ones newest first.
    rows.sort((a, b) => Number(Boolean(a.retiredAt)) - Number(Boolean(b.retiredAt)) || b.createdAt.getTime() - a.createdAt.getTime());
    return { keys: rows.map((row) => toPublicJwk(row)) };
  }

  /** The public key for a kid, for token verification; unknown kids are looked up once in the database. */
  async publicKey(kid: string): Promise<KeyObject | undefined> {
    const cached = this.publicKeys.get(kid);
    if (cached) return cached;
    const row = await this.em.fork().findOne(SigningKey, { kid });
    if (!row) return undefined;
    const key = createPublicKey({ key: { ...toPublicJwk(row) }, format: 'jwk' });
    this.publicKeys.set(kid, key);
    return key;
  }

  /** Re-seals private keys that are under an older entry of the ring (the `reencrypt` command). */
  async reencrypt(): Promise<number> {
    const em = this.em.fork();
    let changed = 0;
    for (const row of await em.find(SigningKey, {})) {
      if (!this.keyRing.isStale(row.privateKeySealed)) continue;
      const plain = this.keyRing.decrypt(row.privateKeySealed, sealContext(row.kid));
      const affected = await em.nativeUpdate(
        SigningKey,
        { kid: row.kid, privateKeySealed: row.privateKeySealed },
        { privateKeySealed: this.keyRing.encrypt(plain, sealContext(row.kid)) },
      );
      changed += affected;
    }
    return changed;
  }

  private async create(em: EntityManager): Promise<SigningKey> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const publicJwk = { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) };
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    try {
      await em.insert(SigningKey, {
        kid,
        publicJwk,
        privateKeySealed: this.keyRing.encrypt(pem, sealContext(kid)),
        createdAt: this.clock.now(),
      });
    } catch (error) {
      // Another replica created the active key first (partial unique index): use theirs.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return em.fork().findOneOrFail(SigningKey, { retiredAt: null });
    }
    return em.fork().findOneOrFail(SigningKey, { kid });
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
