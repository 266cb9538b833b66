import { Entity, EntityRepositoryType, Opt, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';

export class AccountRepository extends EntityRepository<Account> {
  findByEmail(email: string): Promise<Account | null> {
    return this.findOne({ email });
  }
}

/** A person who signs in. The email is stored normalised (trimmed, lower case). */
@Entity({ tableName: 'account', repository: () => AccountRepository })
export class Account {
  [EntityRepositoryType]?: AccountRepository;
  [OptionalProps]?: 'id' | 'roles' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  email!: string;

  /** Argon2id PHC string; never serialised. */
  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  @Property({ type: 'text[]', default: '{}' })
  roles: string[] & Opt = [];

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
