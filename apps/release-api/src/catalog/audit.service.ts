import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { AuditEvent } from './entities/audit-event.entity';
import { CatalogRepository } from './catalog.repository';

/** The audit trail as ops read it. */
@Injectable()
export class AuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly catalog: CatalogRepository,
  ) {}

  /** The newest `limit` rows, newest first. */
  recent(limit: number): Promise<AuditEvent[]> {
    return this.catalog.audit(this.em.fork(), limit);
  }
}
