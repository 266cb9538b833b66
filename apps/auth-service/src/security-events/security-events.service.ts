import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { truncateIp } from '../common/client-ip';
import type { SecurityEventInput } from '../common/types';
import { SecurityEventType } from './entities/security-event.entity';
import { SecurityEventRepository } from './security-event.repository';

export interface SecurityEventView {
  id: string;
  type: SecurityEventType;
  actorId: string | null;
  ipPrefix: string | null;
  details: Record<string, unknown> | null;
  occurredAt: string;
}

@Injectable()
export class SecurityEventsService {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: SecurityEventRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * An event about an attempt rather than a change (a wrong code, a lock, a refused passkey):
   * written on its own, so it is recorded even though the request then fails.
   */
  async record(event: SecurityEventInput): Promise<void> {
    await this.insert(this.em, event);
  }

  /**
   * An audit row inside a transaction the caller holds open (a change that is one step of a
   * larger audited change, e.g. revoking sessions while an account is locked).
   */
  async recordIn(tx: EntityManager, event: SecurityEventInput): Promise<void> {
    await this.insert(tx, event);
  }

  /**
   * An audited change: `work` runs in one transaction and the events it answers are inserted
   * in the same one, so the change never commits without its audit row — a failing audit
   * insert means no change (and a failing change, no row). Repositories take `tx` for this.
   */
  async audited<T>(work: (tx: EntityManager) => Promise<{ result: T; events: readonly SecurityEventInput[] }>): Promise<T> {
    return this.em.fork().transactional(async (tx) => {
      const { result, events } = await work(tx);
      await this.repository.insertMany(
        tx,
        events.map((event) => this.row(event)),
      );
      return result;
    });
  }

  private async insert(em: EntityManager, event: SecurityEventInput): Promise<void> {
    await this.repository.insert(em, this.row(event));
  }

  /** The row an event is written as (id, actor, truncated address, time), for a statement that writes it with other work. */
  row(event: SecurityEventInput) {
    return {
      id: randomUUID(),
      type: event.type,
      accountId: event.accountId,
      actorId: event.actorId ?? event.accountId,
      ipPrefix: truncateIp(event.ip),
      details: event.details,
      occurredAt: this.clock.now(),
    };
  }

  async listFor(accountId: string, limit = 100): Promise<SecurityEventView[]> {
    const events = await this.repository.listFor(this.em.fork(), accountId, limit);
    return events.map((e) => ({
      id: e.id,
      type: e.type,
      actorId: e.actorId ?? null,
      ipPrefix: e.ipPrefix ?? null,
      details: e.details ?? null,
      occurredAt: e.occurredAt.toISOString(),
    }));
  }
}
