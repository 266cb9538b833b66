import { Injectable } from '@nestjs/common';
import type { RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sealedColumn } from '../crypto/sealed-column';
import { SigningKey } from './entities/signing-key.entity';

/** The queries of `auth.signing_key`, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class SigningKeyRepository {
  /** The private keys as the boot's key check reads them (KeyCustody). */
  readonly sealedKeys = sealedColumn('auth.signing_key', 'kid', 'private_key_sealed');

  findActive(em: EntityManager): Promise<SigningKey | null> {
    return em.findOne(SigningKey, { retiredAt: null });
  }

  findByKid(em: EntityManager, kid: string): Promise<SigningKey | null> {
    return em.findOne(SigningKey, { kid });
  }

  /** The active key and the keys retired after `cutoff`, newest first. */
  published(em: EntityManager, cutoff: Date): Promise<SigningKey[]> {
    return em.find(SigningKey, { $or: [{ retiredAt: null }, { retiredAt: { $gt: cutoff } }] }, { orderBy: { createdAt: 'desc' } });
  }

  all(em: EntityManager): Promise<SigningKey[]> {
    return em.find(SigningKey, {});
  }

  /** Compare-and-set of the sealed private key: 0 when another process changed it meanwhile. */
  replaceSealed(em: EntityManager, kid: string, from: string, to: string): Promise<number> {
    return em.nativeUpdate(SigningKey, { kid, privateKeySealed: from }, { privateKeySealed: to });
  }

  /** Serialises key creation and rotation (replicas booting together) until the caller's transaction ends. */
  async lockCreation(em: EntityManager): Promise<void> {
    await em.execute("select pg_advisory_xact_lock(hashtext('auth.signing_key'))");
  }

  async retireActive(em: EntityManager, now: Date): Promise<void> {
    await em.nativeUpdate(SigningKey, { retiredAt: null }, { retiredAt: now });
  }

  /** A new key, written with the caller's next flush. */
  add(em: EntityManager, key: RequiredEntityData<SigningKey>): SigningKey {
    return em.create(SigningKey, key);
  }
}
