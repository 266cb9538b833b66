import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The catalog `sequence`: one row, bumped with `UPDATE … RETURNING` in the transaction of
 * every catalog change, so check answers carry a number that only grows and replicas can
 * notice changes with one cheap read.
 */
@Entity({ tableName: 'catalog_sequence' })
export class CatalogSequence {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  id!: number;

  @Property({ type: 'bigint' })
  value!: string;
}
