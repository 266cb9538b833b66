import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { QueryOrder } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { ReleaseError } from '../app/release-errors';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { SigningKey } from './entities/signing-key.entity';
import { SealingKey, seal, unseal } from './sealing-key';

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
}

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
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
}

function loaded(kid: string, privateKey: KeyObject): LoadedKey {
  const x = publicX(privateKey);
  return { kid, privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' } };
}

/**
 * Signs check answers with Ed25519 over the exact body bytes (RFC 8032; no canonicalisation,
 * so any tool verifies what it received). Keys come from RELEASE_SIGNING_KEYS (first signs,
 * the rest stay published for clients that pinned them), or are generated once and kept in
 * the database encrypted with AES-256-GCM.
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
  ) {}

  async sign(body: string): Promise<string> {
    const [active] = await this.loadKeys();
    if (!active) throw new Error('No response-signing key');
    const signature = sign(null, Buffer.from(body, 'utf8'), active.privateKey).toString('base64url');
    return `keyid="${active.kid}", sig="${signature}"`;
  }

  async publicKeys(): Promise<{ keys: PublicJwk[] }> {
    return { keys: (await this.loadKeys()).map((key) => key.jwk) };
  }

  /** Generates a new stored key that signs from now on; the old ones stay published. */
  async rotate(): Promise<PublicJwk> {
    if (this.config.signing.keys.length > 0) {
      throw new ReleaseError('conflict', 'The signing keys come from RELEASE_SIGNING_KEYS: rotate by putting a new key first in that list.');
    }
    const key = await this.generateStored(true);
    this.keys = undefined;
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
    await this.generateStored(false);
    return this.storedKeys();
  }

  private async storedKeys(): Promise<LoadedKey[]> {
    // The active (never retired) key first, then the most recently retired.
    const rows = await this.em.fork().find(SigningKey, {}, { orderBy: { retiredAt: QueryOrder.DESC_NULLS_FIRST, createdAt: QueryOrder.DESC } });
    const encryptionKey = await this.encryptionKey();
    return rows.map((row) => loaded(row.kid, privateKeyFromSeed(unseal(row.privateEncrypted, encryptionKey, row.kid))));
  }

  private async generateStored(rotate: boolean): Promise<LoadedKey> {
    const encryptionKey = await this.encryptionKey();
    const { privateKey } = generateKeyPairSync('ed25519');
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(ED25519_PKCS8_PREFIX.length);
    const key = loaded(okpThumbprint(publicX(privateKey)), privateKey);
    await this.em.fork().transactional(async (em) => {
      const connection = em.getConnection();
      const ctx = em.getTransactionContext();
      // Replicas booting together must not each create "the" first key.
      await connection.execute("select pg_advisory_xact_lock(hashtext('release.signing_key'))", [], 'all', ctx);
      if (!rotate) {
        const existing = await connection.execute<{ n: string }[]>('select count(*) as n from release.signing_key', [], 'all', ctx);
        if (Number(existing[0]?.n ?? 0) > 0) return;
      }
      await connection.execute('update release.signing_key set retired_at = ? where retired_at is null', [this.clock.now()], 'run', ctx);
      await connection.execute(
        'insert into release.signing_key (kid, public_x, private_encrypted, created_at) values (?, ?, ?, ?)',
        [key.kid, key.jwk.x, seal(seed, encryptionKey, key.kid), this.clock.now()],
        'run',
        ctx,
      );
    });
    this.logger.log(`Generated response-signing key ${key.kid}`);
    return key;
  }

  private encryptionKey(): Promise<Buffer> {
    return this.sealingKey.get();
  }
}
