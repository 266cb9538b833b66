import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The queries of `auth.key_check` (one key-check value per key id), each on the EntityManager it is given. */
@Injectable()
export class KeyCheckRepository {
  /** Key id → its sealed check value. */
  async all(em: EntityManager): Promise<Map<string, string>> {
    const rows = await em
      .getConnection()
      .execute<{ kid: string; check_sealed: string }[]>('select kid, check_sealed from auth.key_check', [], 'all', em.getTransactionContext());
    return new Map(rows.map((row) => [row.kid, row.check_sealed]));
  }

  async find(em: EntityManager, kid: string): Promise<string | undefined> {
    const [row] = await em
      .getConnection()
      .execute<{ check_sealed: string }[]>('select check_sealed from auth.key_check where kid = ?', [kid], 'all', em.getTransactionContext());
    return row?.check_sealed;
  }

  /** The first writer's value stays; a later insert for the same key id does nothing. */
  async insertIfAbsent(em: EntityManager, kid: string, checkSealed: string, now: Date): Promise<void> {
    await em
      .getConnection()
      .execute(
        'insert into auth.key_check (kid, check_sealed, created_at) values (?, ?, ?) on conflict (kid) do nothing',
        [kid, checkSealed, now],
        'run',
        em.getTransactionContext(),
      );
  }

  /** Deletes the values of key ids not in `kids`. */
  async deleteAllBut(em: EntityManager, kids: readonly string[]): Promise<void> {
    await em.getConnection().execute('delete from auth.key_check where not (kid in (?))', [[...kids]], 'run', em.getTransactionContext());
  }
}
