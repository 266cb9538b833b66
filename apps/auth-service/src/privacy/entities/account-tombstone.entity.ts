import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';

/** Who asked for an erasure: the person themself (self-service deletion), an admin, or nobody left (the grace job). */
export type ErasureRequester = 'self' | 'admin';

/**
 * That an account was erased, and nothing about the person: the random account id (the
 * pseudonym its remaining security events carry), when, who asked and why. Kept for
 * AUTH_TOMBSTONE_RETENTION. After a restore from backup, erasures are applied again from these
 * rows (`ErasureService.reapply`), so a restored database does not bring an erased person back.
 */
@Entity({ tableName: 'account_tombstone' })
@Index({ properties: ['erasedAt'] })
export class AccountTombstone {
  @PrimaryKey({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'timestamptz' })
  erasedAt!: Date;

  @Property({ type: 'text' })
  requestedBy!: ErasureRequester;

  /** The admin's account id for an admin erasure; null for self-service. */
  @Property({ type: 'uuid', nullable: true })
  requesterId?: string & Opt;

  @Property({ type: 'text' })
  reason!: string;

  /**
   * The account held a staff role (ops or admin) when it was erased. Only these erasures are
   * published in the erasures feed (`GET /v1/privacy/erasures`): other services keep ids of staff
   * only (release-api's audit trail), and nobody else's erasure needs to be visible outside.
   */
  @Property({ type: 'boolean', default: false })
  operator: boolean & Opt = false;
}
