import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Checks counted per day × version × channel × edition — the only trace a check leaves.
 * No IP, no instance id: an installation cannot be told apart from its peers.
 */
@Entity({ tableName: 'check_count' })
export class CheckCount {
  @PrimaryKey({ type: 'date' })
  day!: string;

  @PrimaryKey({ type: 'text' })
  version!: string;

  @PrimaryKey({ type: 'text' })
  channel!: string;

  @PrimaryKey({ type: 'text' })
  edition!: string;

  @Property({ type: 'bigint' })
  count!: string;
}
