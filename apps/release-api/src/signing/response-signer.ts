import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { ReleaseError } from '../app/release-errors';
import type { Actor } from '../app/actor';
import { CatalogChanges } from '../catalog/catalog-changes';
import { CatalogState } from '../catalog/catalog-state';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { SealingKey, seal, unseal } from './sealing-key';
import { SigningKeyRepository } from './signing-key.repository';

export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  jwk: PublicJwk;
  /** Stored keys only: when a newer key took over signing. */
  retiredAt?: Date;
}

/**
 * Slack on top of RELEASE_CHECK_VALIDITY before a retired key leaves /v1/keys: clock skew, and
 * replicas that sign with the old key until their next sequence poll notices the rotation.
 */
const RETIRED_KEY_GRACE_MS = 5 * 60_000;

/** PKCS#8 prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function privateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicX(privateKey: KeyObject): string {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return String(jwk.x);
}

/** RFC 7638 thumbprint of an OKP key: SHA-256 over `{"crv","kty","x"}` in that order. */
export function okpThumbprint(x: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
}

function loaded(kid: string, privateKey: KeyObject, retiredAt?: Date): LoadedKey {
  const x = publicX(privateKey);
  return { kid, privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' }, ...(retiredAt ? { retiredAt } : {}) };
}

/**
 * Signs check answers with Ed25519 over the exact body bytes (RFC 8032; no canonicalisation,
 * so any tool verifies what it received). Keys come from RELEASE_SIGNING_KEYS (first signs,
 * the rest stay published for clients that pinned them), or are generated once and kept in
 * the database encrypted with AES-256-GCM.
 *
 * A rotation of generated keys is a catalog change: it bumps the catalog `sequence` in the
 * same transaction, so every replica's sequence poll drops its cached answers (signed by the
 * old key) and reloads the keys — the same path a new release takes. A retired key stays in
 * /v1/keys only while an answer it signed can still be valid (RELEASE_CHECK_VALIDITY).
 */
@Injectable()
export class ResponseSigner {
  private readonly logger = new Logger(ResponseSigner.name);
  private keys: Promise<LoadedKey[]> | undefined;

  constructor(
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly sealingKey: SealingKey,
    private readonly catalog: CatalogChanges,
    private readonly signingKeys: SigningKeyRepository,
    private readonly state: CatalogState,
  ) {
    // Another replica's rotation arrives as a new catalog sequence: sign with what is stored now.
    this.state.onChange(() => {
      this.keys = undefined;
    });
  }

  async sign(body: string): Promise<string> {
    const [active] = await this.loadKeys();
    if (!active) throw new Error('No response-signing key');
    const signature = sign(null, Buffer.from(body, 'utf8'), active.privateKey).toString('base64url');
    return `keyid="${active.kid}", sig="${signature}"`;
  }

  /** The signing key first, then retired keys whose answers may still be valid. */
  async publicKeys(): Promise<{ keys: PublicJwk[] }> {
    const cutoff = this.clock.nowMs() - this.config.check.validityMs - this.config.check.sequencePollMs - RETIRED_KEY_GRACE_MS;
    return { keys: (await this.loadKeys()).filter((key) => !key.retiredAt || key.retiredAt.getTime() > cutoff).map((key) => key.jwk) };
  }

  /**
   * Generates a new stored key that signs from now on. One catalog change: the sequence row lock
   * serialises concurrent rotations (each retires the key active when it runs, so exactly one
   * stays active), and the audit row and the sequence bump commit with the key.
   */
  async rotate(actor: Actor): Promise<PublicJwk> {
    if (this.config.signing.keys.length > 0) {
      throw new ReleaseError('conflict', 'The signing keys come from RELEASE_SIGNING_KEYS: rotate by putting a new key first in that list.');
    }
    const key = await this.newKey();
    await this.catalog.change(actor, async (em) => {
      const retired = await this.signingKeys.retireActive(em, this.clock.now());
      await this.signingKeys.insert(em, { kid: key.kid, publicX: key.jwk.x, privateEncrypted: key.sealed, createdAt: this.clock.now() });
      return { result: undefined, audit: [{ action: 'signing_key.rotate', subject: key.kid, before: { kids: retired } }] };
    });
    this.keys = undefined;
    this.logger.log(`Rotated the response-signing key; new kid ${key.kid}`);
    // This replica's cached answers go now; the others' at their next sequence poll.
    await this.state.refresh();
    return key.jwk;
  }

  private loadKeys(): Promise<LoadedKey[]> {
    this.keys ??= this.resolveKeys().catch((error: unknown) => {
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }

  private async resolveKeys(): Promise<LoadedKey[]> {
    if (this.config.signing.keys.length > 0) {
      return this.config.signing.keys.map(({ kid, seed }) => {
        const privateKey = privateKeyFromSeed(seed);
        return loaded(kid ?? okpThumbprint(publicX(privateKey)), privateKey);
      });
    }
    const stored = await this.storedKeys();
    if (stored.length > 0) return stored;
    await this.generateStored();
    return this.storedKeys();
  }

  private async storedKeys(): Promise<LoadedKey[]> {
    // The active (never retired) key first, then the most recently retired.
    const rows = await this.signingKeys.all(this.em.fork());
    const encryptionKey = await this.encryptionKey();
    return rows.map((row) => loaded(row.kid, privateKeyFromSeed(unseal(row.privateEncrypted, encryptionKey, row.kid)), row.retiredAt ?? undefined));
  }

  /** A fresh Ed25519 key, its private seed sealed under its kid. */
  private async newKey(): Promise<LoadedKey & { sealed: string }> {
    const encryptionKey = await this.encryptionKey();
    const { privateKey } = generateKeyPairSync('ed25519');
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(ED25519_PKCS8_PREFIX.length);
    const key = loaded(okpThumbprint(publicX(privateKey)), privateKey);
    return { ...key, sealed: seal(seed, encryptionKey, key.kid) };
  }

  /** The very first stored key; replicas booting together must not each create "the" first key. */
  private async generateStored(): Promise<void> {
    const key = await this.newKey();
    const created = await this.em.fork().transactional(async (em) => {
      await this.signingKeys.lockCreation(em);
      if ((await this.signingKeys.count(em)) > 0) return false;
      await this.signingKeys.insert(em, { kid: key.kid, publicX: key.jwk.x, privateEncrypted: key.sealed, createdAt: this.clock.now() });
      return true;
    });
    if (created) this.logger.log(`Generated response-signing key ${key.kid}`);
  }

  private encryptionKey(): Promise<Buffer> {
    return this.sealingKey.get();
  }
}
