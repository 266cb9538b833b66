import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { JobQueue, transactionJobDb } from '@keyhaven/jobs';
import { Mailer } from '@keyhaven/mail';
import { noticeEmail, signWebhook, webhookBody } from '@keyhaven/release-maintenance';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { describeDeliveryFailure } from './delivery-failure';
import { SealingKey } from '../signing/sealing-key';
import { DELIVERY_QUEUE, DeliveryJob } from './maintenance-queues';
import { DeliveryTarget, MaintenanceRepository } from './maintenance.repository';
import { UnsubscribeLinks } from './unsubscribe-links';
import { WebhookSender } from './webhook-sender';
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
    private readonly unsubscribeLinks: UnsubscribeLinks,
    private readonly webhooks: WebhookSender,
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
    if (created > 0) {
      // This replica's delivery workers start now rather than at their next poll.
      this.jobs.notify(DELIVERY_QUEUE);
      this.logger.log(`Notice ${noticeId}: ${created} deliveries queued`);
    }
    return created;
  }

  /**
   * `maintenance-delivery`: one attempt for each delivery of a batch, in parallel. Targets are read
   * in one query and successes recorded in one statement; a failed attempt is recorded on its own
   * and returned (delivery id → reason), so pg-boss retries that job with backoff.
   */
  async deliver(deliveryIds: readonly string[]): Promise<Map<string, string>> {
    const targets = await this.repository.deliveryTargets(this.em.fork(), deliveryIds);
    // Missing (cannot happen with the foreign keys) or already settled: nothing to send.
    const due = targets.filter((target) => target.state === 'pending');
    const now = this.clock.now();
    const outcomes = await Promise.all(
      due.map((target) =>
        this.attempt(target, now).then(
          () => ({ target, error: undefined }),
          (error: unknown) => ({ target, error: describeDeliveryFailure(error, this.config.maintenance.webhookTimeoutMs) }),
        ),
      ),
    );
    const failures = new Map<string, string>();
    for (const { target, error } of outcomes) if (error !== undefined) failures.set(target.id, error);
    // Each outcome commits on its own: a success is recorded whatever happens to the others.
    const em = this.em.fork();
    await this.repository.markDelivered(
      em,
      outcomes.filter((outcome) => outcome.error === undefined).map((outcome) => outcome.target.id),
      this.clock.now(),
    );
    for (const [deliveryId, error] of failures) await this.repository.markFailedAttempt(em, deliveryId, error, this.clock.now());
    return failures;
  }

  private async attempt(target: DeliveryTarget, now: Date): Promise<void> {
    const view = toWindowView(target.window, now);
    if (target.kind === 'webhook') await this.sendWebhook(target, webhookBody(target.id, target.type, view, now));
    else await this.sendEmail(target, view);
  }

  /** `maintenance-delivery-dead`: retries exhausted; ops see it in the dead-letter list. */
  async markDead(deliveryId: string): Promise<void> {
    await this.repository.markDead(this.em.fork(), deliveryId);
    this.logger.warn(`Delivery ${deliveryId} is dead after its retries; replay it with POST /v1/deliveries/${deliveryId}/replay`);
  }

  private async sendWebhook(target: DeliveryTarget, body: string): Promise<void> {
    if (!target.url || !target.secretSealed) throw new Error('webhook subscription without url or secret');
    const secret = (await this.sealingKey.open(target.secretSealed, target.subscriptionId)).toString('utf8');
    await this.webhooks.post(
      target.url,
      {
        'content-type': 'application/json',
        'user-agent': 'keyhaven-release-api',
        'keyhaven-delivery': target.id,
        'keyhaven-webhook-signature': signWebhook(body, secret),
      },
      body,
    );
  }

  private async sendEmail(target: DeliveryTarget, view: ReturnType<typeof toWindowView>): Promise<void> {
    if (!target.address) throw new Error('email subscription without address');
    const message = noticeEmail(target.type, view, {
      timeZone: target.timeZone,
      eventUrl: `${this.config.publicUrl}/v1/maintenance-windows/${view.id}/event.ics`,
      feedUrl: `${this.config.publicUrl}/v1/maintenance.ics`,
      unsubscribeUrl: await this.unsubscribeLinks.url(target.subscriptionId),
      dataUrl: await this.unsubscribeLinks.dataUrl(target.subscriptionId),
    });
    await this.mailer.send({ to: target.address, ...message });
  }
}
