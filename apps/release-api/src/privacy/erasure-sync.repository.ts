import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The queries of `release.erasure_sync` (one row: how far auth-service's erasure feed has been read). */
@Injectable()
export class ErasureSyncRepository {
  async cursor(em: EntityManager): Promise<string | null> {
    const [state] = await em
      .getConnection()
      .execute<{ cursor: string | null }[]>('select cursor from release.erasure_sync where id = 1', [], 'all', em.getTransactionContext());
    return state?.cursor ?? null;
  }

  async saveCursor(em: EntityManager, cursor: string): Promise<void> {
    await em
      .getConnection()
      .execute(
        'insert into release.erasure_sync (id, cursor, synced_at) values (1, ?, now()) on conflict (id) do update set cursor = excluded.cursor, synced_at = excluded.synced_at',
        [cursor],
        'run',
        em.getTransactionContext(),
      );
  }
}
