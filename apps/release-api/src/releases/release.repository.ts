import { Injectable } from '@nestjs/common';
import { LockMode, type RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Release } from './entities/release.entity';

/** The queries of `release.release`, each on the EntityManager it is given (never its own transaction). */
@Injectable()
export class ReleaseRepository {
  all(em: EntityManager): Promise<Release[]> {
    return em.find(Release, {});
  }

  count(em: EntityManager): Promise<number> {
    return em.count(Release, {});
  }

  /** The row, locked: concurrent edits of one release apply one after the other. */
  lock(em: EntityManager, version: string): Promise<Release | null> {
    return em.findOne(Release, { version }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** A new row, written with the caller's next flush. */
  add(em: EntityManager, release: RequiredEntityData<Release>): Release {
    return em.create(Release, release);
  }
}
