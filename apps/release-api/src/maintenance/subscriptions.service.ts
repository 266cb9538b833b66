import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Clock } from '@keyhaven/config';
import { isTimeZone } from '@keyhaven/release-maintenance';
import { ReleaseError } from '../app/release-errors';
import type { Actor } from '../app/actor';
import { UUID } from '../app/uuid';
import { CatalogRepository } from '../catalog/catalog.repository';
import { SealingKey } from '../signing/sealing-key';
import type { CreateSubscriptionDto } from './dto/subscription.dto';
import type { MaintenanceSubscription } from './entities/maintenance-subscription.entity';
import { MaintenanceRepository } from './maintenance.repository';
import { LinkPurpose, UnsubscribeLinks } from './unsubscribe-links';
import { WebhookSender } from './webhook-sender';

export function subscriptionJson(subscription: MaintenanceSubscription) {
  return {
    id: subscription.id,
    kind: subscription.kind,
    url: subscription.url ?? null,
    address: subscription.address ?? null,
    timeZone: subscription.timeZone ?? null,
    environments: subscription.environments,
    createdAt: subscription.createdAt.toISOString(),
  };
}

/** Webhook and email subscribers. Webhook secrets are sealed at rest and never returned. */
@Injectable()
export class SubscriptionsService {
  private readonly logger = new Logger(SubscriptionsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly repository: MaintenanceRepository,
    private readonly catalog: CatalogRepository,
    private readonly sealingKey: SealingKey,
    private readonly unsubscribeLinks: UnsubscribeLinks,
    private readonly webhooks: WebhookSender,
    private readonly clock: Clock,
  ) {}

  async create(dto: CreateSubscriptionDto, actor: Actor) {
    const fields: { field: string; problems: string[] }[] = [];
    const foreign = dto.kind === 'webhook' ? (['address', 'timeZone'] as const) : (['url', 'secret'] as const);
    for (const field of foreign) if (dto[field] !== undefined) fields.push({ field, problems: [`not allowed for kind ${dto.kind}`] });
    if (dto.timeZone !== undefined && !isTimeZone(dto.timeZone))
      fields.push({ field: 'timeZone', problems: ['must be an IANA time zone such as Europe/Berlin'] });
    if (fields.length > 0) {
      throw new ReleaseError('validation_failed', `The request is not valid: ${fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ')}`, {
        fields,
      });
    }
    if (dto.kind === 'webhook' && dto.url !== undefined) {
      // The egress policy (see WebhookEgressPolicy): refused here with a clear answer, and
      // checked again on every delivery after DNS resolution. The message never repeats the URL.
      const verdict = await this.webhooks.checkTarget(dto.url);
      if (!verdict.allowed) throw new ReleaseError('webhook_target_forbidden', `This webhook URL is not allowed: ${verdict.reason}.`, { field: 'url' });
    }
    const id = randomUUID();
    const secretSealed = dto.kind === 'webhook' && dto.secret ? await this.sealingKey.seal(Buffer.from(dto.secret, 'utf8'), id) : null;
    const subscription = await this.em.fork().transactional(async (em) => {
      const created = this.repository.insertSubscription(em, {
        id,
        kind: dto.kind,
        url: dto.kind === 'webhook' ? (dto.url ?? null) : null,
        // The row id is the associated data: a sealed secret copied to another row does not open.
        secretSealed,
        address: dto.kind === 'email' ? (dto.address ?? null) : null,
        timeZone: dto.kind === 'email' ? (dto.timeZone ?? null) : null,
        environments: [...new Set(dto.environments ?? [])].sort(),
        createdAt: this.clock.now(),
      });
      this.catalog.appendAudit(em, actor, [{ action: 'subscription.create', subject: id, after: auditView(created) }]);
      await em.flush();
      return created;
    });
    return subscriptionJson(subscription);
  }

  async list() {
    return { subscriptions: (await this.repository.activeSubscriptions(this.em.fork())).map(subscriptionJson) };
  }

  /**
   * The recipient's own way out, by the signed link of a notice email: the subscription is erased
   * at once with its delivery history (GDPR Art. 17 — a person who leaves is not kept for 90 days
   * of delivery logs). Idempotent: a second click (or a mail client's one-click POST after the
   * browser's) finds it already gone and still succeeds; a link that does not verify is a 404,
   * as if there were no such subscription.
   */
  async unsubscribe(id: string, token: string | undefined): Promise<void> {
    await this.checkUnsubscribeLink(id, token);
    if (await this.eraseAudited(id, RECIPIENT, 'subscription.unsubscribe')) this.logger.log(`Subscription ${id} erased by its recipient (unsubscribe link)`);
  }

  /** Whether a signed link is valid, for the confirmation page (which changes nothing). */
  async checkUnsubscribeLink(id: string, token: string | undefined, purpose: LinkPurpose = 'unsubscribe'): Promise<void> {
    if (!UUID.test(id) || !token || !(await this.unsubscribeLinks.verify(id, token, purpose))) {
      throw new ReleaseError('subscription_not_found', 'This link is not valid.', { id: id.slice(0, 64) });
    }
  }

  /**
   * GDPR Art. 15 for a subscriber without an account: by the signed link of a notice email,
   * everything stored about the subscription — address, time zone, environments, delivery
   * history. A 404 for a link that does not verify or a subscription already erased.
   */
  async dataOf(id: string, token: string | undefined): Promise<Record<string, unknown>> {
    await this.checkUnsubscribeLink(id, token, 'data');
    const em = this.em.fork();
    const subscription = await this.repository.findSubscription(em, id);
    if (!subscription) throw new ReleaseError('subscription_not_found', 'This link is not valid.', { id: id.slice(0, 64) });
    return {
      schema: 'keyhaven.subscription-data/v1',
      exportedAt: this.clock.now().toISOString(),
      subscription: { ...subscriptionJson(subscription), removedAt: subscription.removedAt?.toISOString() ?? null },
      deliveries: await this.repository.deliveryHistory(em, id),
      unsubscribe: await this.unsubscribeLinks.url(id),
    };
  }

  /** `DELETE /v1/subscriptions/:id`: a soft removal (deliveries keep their history), or with `erase` the subscriber and its history go at once. */
  async remove(id: string, actor: Actor, erase = false): Promise<void> {
    const done =
      UUID.test(id) && (erase ? await this.eraseAudited(id, actor, 'subscription.erase') : await this.removeAudited(id, actor, 'subscription.remove'));
    if (!done) throw new ReleaseError('subscription_not_found', `No subscription ${id.slice(0, 64)}.`, { id: id.slice(0, 64) });
  }

  /**
   * Every subscriber erasure on record (its audit row: by ops, or by the recipient's link), ids
   * and times only — what `keyhaven-ops backup` keeps in its erasure ledger outside the database.
   */
  async erasures(): Promise<{ id: string; erasedAt: Date }[]> {
    return (await this.catalog.auditedSubjects(this.em.fork(), ERASURE_ACTIONS)).map((row) => ({ id: row.subject, erasedAt: row.at }));
  }

  /**
   * After a restore from backup (`main.js reapply-erasures`): each subscription of `ids` that came
   * back is erased again with its deliveries; one whose erasure record (audit row) the restore
   * lost gets it back. Idempotent. Answers the ids erased again.
   */
  async reapplyErasures(ids: readonly string[]): Promise<{ erased: string[]; tombstonesRestored: number }> {
    const erased: string[] = [];
    let tombstonesRestored = 0;
    for (const id of ids) {
      if (await this.eraseAudited(id, RESTORE, 'subscription.erase', { reapplied: true })) {
        erased.push(id);
        continue;
      }
      const written = await this.em.fork().transactional(async (em) => {
        if ((await this.catalog.auditedSubjects(em, ERASURE_ACTIONS, id)).length > 0) return false;
        this.catalog.appendAudit(em, RESTORE, [{ action: 'subscription.erase', subject: id, after: { erased: true, reapplied: true } }]);
        await em.flush();
        return true;
      });
      if (written) tombstonesRestored += 1;
    }
    if (erased.length > 0) this.logger.log(`Re-applied ${erased.length} subscriber erasure(s) a restore had undone`);
    return { erased, tombstonesRestored };
  }

  /** The erasure and its audit row (domain or origin only), in one transaction; false when there was nothing to erase. */
  private eraseAudited(id: string, actor: Actor, action: string, more: Record<string, unknown> = {}): Promise<boolean> {
    return this.em.fork().transactional(async (em) => {
      const erased = await this.repository.eraseSubscription(em, id);
      if (!erased) return false;
      this.catalog.appendAudit(em, actor, [
        { action, subject: id, before: auditView(erased.subscription), after: { erased: true, deliveries: erased.deliveries, ...more } },
      ]);
      await em.flush();
      return true;
    });
  }

  /** The soft delete and its audit row, in one transaction; false when it was already gone. */
  private removeAudited(id: string, actor: Actor, action: string): Promise<boolean> {
    return this.em.fork().transactional(async (em) => {
      const removed = await this.repository.removeSubscription(em, id, this.clock.now());
      if (!removed) return false;
      this.catalog.appendAudit(em, actor, [{ action, subject: id, before: auditView(removed) }]);
      await em.flush();
      return true;
    });
  }
}

/** Who removed a subscription through its signed unsubscribe link: its recipient, not an ops account. */
const RECIPIENT: Actor = { sub: 'recipient (unsubscribe link)', email: undefined };

/** Who erased a subscription again after a restore: the backup erasure ledger, not a person. */
const RESTORE: Actor = { sub: 'backup restore (erasure ledger)', email: undefined };

/** The audit actions that record a subscriber's erasure (its tombstone). */
const ERASURE_ACTIONS = ['subscription.erase', 'subscription.unsubscribe'] as const;

/**
 * What the audit trail keeps of a subscription: enough to see where notices went, nothing
 * more. A webhook's origin (its path may hold a receiver's secret token), an address's domain.
 */
function auditView(subscription: MaintenanceSubscription) {
  return {
    kind: subscription.kind,
    target: subscription.url ? new URL(subscription.url).origin : `@${(subscription.address ?? '').split('@').pop()}`,
    environments: subscription.environments,
  };
}
