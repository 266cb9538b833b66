import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface KeyCheckRow {
  fingerprint: string;
  check_sealed: string;
}

/** The queries of `release.key_check`, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class KeyCheckRepository {
  async find(em: EntityManager, name: string): Promise<KeyCheckRow | undefined> {
    const rows = await em
      .getConnection()
      .execute<KeyCheckRow[]>('select fingerprint, check_sealed from release.key_check where name = ?', [name], 'all', em.getTransactionContext());
    return rows[0];
  }

  /** The first writer's row stays; a later insert of the same name does nothing. */
  async insertIfAbsent(em: EntityManager, row: { name: string; fingerprint: string; checkSealed: string; createdAt: Date }): Promise<void> {
    await em
      .getConnection()
      .execute(
        'insert into release.key_check (name, fingerprint, check_sealed, created_at) values (?, ?, ?, ?) on conflict (name) do nothing',
        [row.name, row.fingerprint, row.checkSealed, row.createdAt],
        'run',
        em.getTransactionContext(),
      );
  }
}
