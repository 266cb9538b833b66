import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * How far release-api has read auth-service's erasure feed (`GET /v1/privacy/erasures`): the
 * cursor of the next page. One row, shared by every replica. Holds no personal data.
 */
@Entity({ tableName: 'erasure_sync' })
export class ErasureSync {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  id!: number;

  @Property({ type: 'text', nullable: true })
  cursor?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  syncedAt?: Date | null;
}
