import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { JobQueue, transactionJobDb } from '@keyhaven/jobs';
import { ReleaseError } from '../app/release-errors';
import type { Actor } from '../app/actor';
import { UUID } from '../app/uuid';
import { CatalogRepository } from '../catalog/catalog.repository';
import type { ListDeliveriesQueryDto } from './dto/subscription.dto';
import { DELIVERY_QUEUE, DeliveryJob } from './maintenance-queues';
import { DeliveryRow, MaintenanceRepository } from './maintenance.repository';

/** The ops view of deliveries: lists (the dead letters among them) and replay. */
@Injectable()
export class DeliveriesService {
  constructor(
    private readonly repository: MaintenanceRepository,
    private readonly jobs: JobQueue,
    private readonly em: EntityManager,
    private readonly catalog: CatalogRepository,
  ) {}

  async list(query: ListDeliveriesQueryDto): Promise<{ deliveries: DeliveryRow[] }> {
    return {
      deliveries: await this.repository.deliveries(this.em.fork(), {
        state: query.state,
        windowId: query.windowId,
        limit: query.limit ? Number(query.limit) : 100,
      }),
    };
  }

  /**
   * Back to pending and a new job, in one transaction. The delivery keeps its id (receivers
   * still deduplicate); the job gets a new id because pg-boss keeps the old, finished one.
   */
  async replay(id: string, actor: Actor): Promise<DeliveryRow> {
    const outcome = UUID.test(id)
      ? await this.em.fork().transactional(async (em) => {
          const result = await this.repository.reopen(em, id);
          if (result === 'reopened') {
            await this.jobs.insert<DeliveryJob>([{ id: randomUUID(), name: DELIVERY_QUEUE, data: { deliveryId: id } }], transactionJobDb(em));
            this.catalog.appendAudit(em, actor, [{ action: 'delivery.replay', subject: id }]);
            await em.flush();
          }
          return result;
        })
      : undefined;
    if (outcome === undefined) throw new ReleaseError('delivery_not_found', `No delivery ${id.slice(0, 64)}.`, { id: id.slice(0, 64) });
    if (outcome === 'pending') throw new ReleaseError('delivery_pending', 'The delivery is still pending; it is being retried.', { id });
    this.jobs.notify(DELIVERY_QUEUE);
    const [row] = await this.repository.deliveries(this.em.fork(), { id, limit: 1 });
    return row as DeliveryRow;
  }
}
