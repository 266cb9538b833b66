import { Injectable } from '@nestjs/common';
import { QueryOrder } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SigningKey } from './entities/signing-key.entity';

export interface NewSigningKey {
  kid: string;
  publicX: string;
  privateEncrypted: string;
  createdAt: Date;
}

/** The queries of `release.signing_key`, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class SigningKeyRepository {
  /** The active (never retired) key first, then the most recently retired. */
  all(em: EntityManager): Promise<SigningKey[]> {
    return em.find(SigningKey, {}, { orderBy: { retiredAt: QueryOrder.DESC_NULLS_FIRST, createdAt: QueryOrder.DESC } });
  }

  /** Serialises the creation of the first key across replicas until the caller's transaction ends. */
  async lockCreation(em: EntityManager): Promise<void> {
    await em.getConnection().execute("select pg_advisory_xact_lock(hashtext('release.signing_key'))", [], 'all', em.getTransactionContext());
  }

  async count(em: EntityManager): Promise<number> {
    const rows = await em.getConnection().execute<{ n: string }[]>('select count(*) as n from release.signing_key', [], 'all', em.getTransactionContext());
    return Number(rows[0]?.n ?? 0);
  }

  /** Retires the active key(s); answers their kids. */
  async retireActive(em: EntityManager, now: Date): Promise<string[]> {
    const rows = await em
      .getConnection()
      .execute<{ kid: string }[]>(
        'update release.signing_key set retired_at = ? where retired_at is null returning kid',
        [now],
        'all',
        em.getTransactionContext(),
      );
    return rows.map((row) => row.kid);
  }

  async insert(em: EntityManager, key: NewSigningKey): Promise<void> {
    await em
      .getConnection()
      .execute(
        'insert into release.signing_key (kid, public_x, private_encrypted, created_at) values (?, ?, ?, ?)',
        [key.kid, key.publicX, key.privateEncrypted, key.createdAt],
        'run',
        em.getTransactionContext(),
      );
  }

  /** Sealed private keys with the kid they were sealed under (for the boot's key check): any `limit` rows, or a random sample. */
  sealedKeys(em: EntityManager, limit: number, sample: boolean): Promise<{ context: string; sealed: string }[]> {
    return em
      .getConnection()
      .execute<{ context: string; sealed: string }[]>(
        `select kid as context, private_encrypted as sealed from release.signing_key${sample ? ' order by random()' : ''} limit ?`,
        [limit],
        'all',
        em.getTransactionContext(),
      );
  }
}
