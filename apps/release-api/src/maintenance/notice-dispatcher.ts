import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { JobQueue } from '@keyhaven/jobs';
import { Mailer } from '@keyhaven/mail';
import { noticeEmail, signWebhook, webhookBody } from '@keyhaven/release-maintenance';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { SealingKey } from '../signing/sealing-key';
import { transactionJobDb } from './job-db';
import { DELIVERY_QUEUE, DeliveryJob } from './maintenance-queues';
import { DeliveryTarget, MaintenanceRepository } from './maintenance.repository';
import { toWindowView } from './window-views';

/**
 * The two workers of the notice pipeline. Each step is idempotent and its correctness lives in
 * the database: a notice fans out once (conditional claim), a subscriber gets one delivery per
 * notice (unique key), a delivery is marked delivered once. Delivery to the receiver is
 * at-least-once with a stable id, so receivers drop the rare duplicate after a crash.
 */
@Injectable()
export class NoticeDispatcher {
  private readonly logger = new Logger(NoticeDispatcher.name);

  constructor(
    private readonly em: EntityManager,
    private readonly repository: MaintenanceRepository,
    private readonly jobs: JobQueue,
    private readonly mailer: Mailer,
    private readonly sealingKey: SealingKey,
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  /** `maintenance-notice`: claim the notice, create its deliveries and their jobs — one transaction. */
  async fanOut(noticeId: string): Promise<number> {
    const now = this.clock.now();
    const created = await this.em.fork().transactional(async (em) => {
      const notice = await this.repository.claimNotice(em, noticeId, now);
      if (!notice) return 0; // already fanned out, or superseded by a later change
      const deliveries = await this.repository.createDeliveries(em, notice, now);
      if (deliveries.length > 0) {
        await this.jobs.insert<DeliveryJob>(
          deliveries.map((id) => ({ id, name: DELIVERY_QUEUE, data: { deliveryId: id } })),
          transactionJobDb(em),
        );
      }
      return deliveries.length;
    });
    if (created > 0) this.logger.log(`Notice ${noticeId}: ${created} deliveries queued`);
    return created;
  }

  /** `maintenance-delivery`: one attempt; a thrown error makes pg-boss retry with backoff. */
  async deliver(deliveryId: string): Promise<void> {
    const target = await this.repository.deliveryTarget(deliveryId);
    if (!target || target.state !== 'pending') return;
    const now = this.clock.now();
    try {
      const view = toWindowView(target.window, now);
      if (target.kind === 'webhook') await this.sendWebhook(target, webhookBody(target.id, target.type, view, now));
      else await this.sendEmail(target, view);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.repository.markFailedAttempt(deliveryId, message, this.clock.now());
      throw new Error(`Delivery ${deliveryId} to ${target.kind} failed: ${message}`);
    }
    await this.repository.markDelivered(deliveryId, this.clock.now());
  }

  /** `maintenance-delivery-dead`: retries exhausted; ops see it in the dead-letter list. */
  async markDead(deliveryId: string): Promise<void> {
    await this.repository.markDead(deliveryId);
    this.logger.warn(`Delivery ${deliveryId} is dead after its retries; replay it with POST /v1/deliveries/${deliveryId}/replay`);
  }

  private async sendWebhook(target: DeliveryTarget, body: string): Promise<void> {
    if (!target.url || !target.secretSealed) throw new Error('webhook subscription without url or secret');
    const secret = (await this.sealingKey.open(target.secretSealed, target.subscriptionId)).toString('utf8');
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'keyhaven-release-api',
        'keyhaven-delivery': target.id,
        'keyhaven-webhook-signature': signWebhook(body, secret),
      },
      body,
      // A redirect would resend the signed body somewhere the subscriber did not name.
      redirect: 'manual',
      signal: AbortSignal.timeout(this.config.maintenance.webhookTimeoutMs),
    });
    // Drain the body so the connection is reused; its content does not matter.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) throw new Error(`HTTP ${response.status}`);
  }

  private async sendEmail(target: DeliveryTarget, view: ReturnType<typeof toWindowView>): Promise<void> {
    if (!target.address) throw new Error('email subscription without address');
    const message = noticeEmail(target.type, view, { timeZone: target.timeZone, icsUrl: `${this.config.publicUrl}/v1/maintenance.ics` });
    await this.mailer.send({ to: target.address, ...message });
  }
}
