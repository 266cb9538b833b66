import type { QueueDefinition } from '@keyhaven/jobs';

/** Once a day (UTC), on one replica: the retention job, and the safety net for due deletions. */
export const RETENTION_QUEUE = 'privacy-retention';
export const RETENTION_CRON = '17 3 * * *';

/** One job per self-service deletion, held by pg-boss until the grace period ends. */
export const ERASURE_QUEUE = 'account-erasure';
export interface ErasureJob {
  accountId: string;
  scheduledAt: string;
}

export const PRIVACY_QUEUES: readonly QueueDefinition[] = [
  { name: RETENTION_QUEUE, retryLimit: 3, retryDelay: 300, retryBackoff: true, expireInSeconds: 3600 },
  { name: ERASURE_QUEUE, retryLimit: 10, retryDelay: 60, retryBackoff: true, expireInSeconds: 300 },
];
