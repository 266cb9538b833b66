import type { QueueDefinition } from '@keyhaven/jobs';
import type { ReleaseConfig } from '../config/release.config';

/** One job per planned notice (job id = notice id, due at the notice's time): the fan-out. */
export const NOTICE_QUEUE = 'maintenance-notice';
/** One job per delivery (notice × subscription): the webhook call or the email. */
export const DELIVERY_QUEUE = 'maintenance-delivery';
/** Deliveries whose retries are exhausted; the worker marks them dead for ops to replay. */
export const DEAD_DELIVERY_QUEUE = 'maintenance-delivery-dead';

/** Once a day (`RETENTION_CRON`, UTC): settled deliveries and removed subscriptions past MAINTENANCE_RETENTION go. */
export const RETENTION_QUEUE = 'maintenance-retention';
export const RETENTION_CRON = '23 3 * * *';

export interface NoticeJob {
  noticeId: string;
}

export interface DeliveryJob {
  deliveryId: string;
}

export function maintenanceQueues(config: ReleaseConfig): QueueDefinition[] {
  const timeoutSeconds = Math.ceil(config.maintenance.webhookTimeoutMs / 1000);
  const retryDelay = Math.round(config.maintenance.deliveryRetryDelayMs / 1000);
  return [
    { name: DEAD_DELIVERY_QUEUE, retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 60 },
    { name: RETENTION_QUEUE, retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 600 },
    // A fan-out is one short transaction; if its worker dies the job expires and runs again,
    // and the conditional claim makes the second run a no-op when the first one committed.
    { name: NOTICE_QUEUE, retryLimit: 20, retryDelay: 5, retryBackoff: true, expireInSeconds: 60 },
    {
      name: DELIVERY_QUEUE,
      retryLimit: config.maintenance.deliveryRetries,
      retryDelay,
      retryBackoff: retryDelay > 0,
      // A worker that died mid-call is noticed soon after the HTTP timeout could have passed
      // (a batch of deliveries runs in parallel, so one timeout bounds the batch).
      expireInSeconds: timeoutSeconds * 2 + 5,
      deadLetter: DEAD_DELIVERY_QUEUE,
    },
  ];
}
