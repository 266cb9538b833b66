import { Injectable } from '@nestjs/common';
import { LockMode, type RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Advisory } from './entities/advisory.entity';

export type AdvisoryFields = Omit<RequiredEntityData<Advisory>, 'id' | 'createdAt'>;

/** The queries of `release.advisory`, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class AdvisoryRepository {
  all(em: EntityManager): Promise<Advisory[]> {
    return em.find(Advisory, {});
  }

  count(em: EntityManager): Promise<number> {
    return em.count(Advisory, {});
  }

  /** The row, locked for a change. */
  lock(em: EntityManager, id: string): Promise<Advisory | null> {
    return em.findOne(Advisory, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** A new row, written with the caller's next flush. */
  add(em: EntityManager, advisory: RequiredEntityData<Advisory>): Advisory {
    return em.create(Advisory, advisory);
  }

  /** `INSERT … ON CONFLICT DO NOTHING`: the database, not a prior read, decides "exists". True when the row was inserted. */
  async insertIfAbsent(em: EntityManager, id: string, fields: AdvisoryFields & { createdAt: Date }): Promise<boolean> {
    const rows = await em.getConnection().execute<{ id: string }[]>(
      `insert into release.advisory (id, aliases, title, summary, severity_type, severity_vector, severity_score, severity_level,
         known_exploited, affected, fixed_in, url, published_at, modified_at, withdrawn_at, created_at)
       values (?, array(select jsonb_array_elements_text(?::jsonb)), ?, ?, ?, ?, ?, ?, ?, ?::jsonb, array(select jsonb_array_elements_text(?::jsonb)), ?, ?, ?, ?, ?)
       on conflict (id) do nothing returning id`,
      [
        id,
        // Arrays travel as JSON: the query builder would expand a bound array into a list.
        JSON.stringify(fields.aliases ?? []),
        fields.title,
        fields.summary ?? '',
        fields.severityType ?? null,
        fields.severityVector ?? null,
        fields.severityScore ?? null,
        fields.severityLevel ?? null,
        fields.knownExploited ?? false,
        JSON.stringify(fields.affected),
        JSON.stringify(fields.fixedIn ?? []),
        fields.url ?? null,
        fields.publishedAt,
        fields.modifiedAt,
        fields.withdrawnAt ?? null,
        fields.createdAt,
      ],
      'all',
      em.getTransactionContext(),
    );
    return rows.length > 0;
  }
}
