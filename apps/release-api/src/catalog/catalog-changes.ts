import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../app/actor';
import { AuditEntry, CatalogRepository } from './catalog.repository';

/**
 * The unit of work of a catalog change (a release, an advisory, a maintenance window, a key
 * rotation): one transaction in which the sequence bump, the change and its audit rows commit
 * together or not at all. `work` gets the transaction's EntityManager and passes it to the
 * repositories it calls.
 */
@Injectable()
export class CatalogChanges {
  constructor(
    private readonly em: EntityManager,
    private readonly catalog: CatalogRepository,
  ) {}

  async change<T>(actor: Actor, work: (em: EntityManager) => Promise<{ result: T; audit: AuditEntry[] }>): Promise<{ result: T; sequence: number }> {
    return this.em.fork().transactional(async (em) => {
      const sequence = await this.catalog.bumpSequence(em);
      const { result, audit } = await work(em);
      this.catalog.appendAudit(em, actor, audit, sequence);
      await em.flush();
      return { result, sequence: Number(sequence) };
    });
  }
}
