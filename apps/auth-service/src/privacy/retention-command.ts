import { runOneOff } from '../app/one-off-command';
import { AUTH_SERVICE, AuthConfig } from '../config/auth.config';
import { PrivacyJobs } from './privacy-jobs';

/**
 * `node dist/apps/auth-service/main.js retention`: what the daily job does, now — erases the
 * accounts whose deletion grace has passed, then deletes everything past its retention. Safe
 * while the service serves and on several replicas (batches with SKIP LOCKED). Prints what it
 * deleted and how fast.
 */
export function runRetentionCommand(load: (env: Record<string, string | undefined>) => AuthConfig, env: Record<string, string | undefined>): Promise<void> {
  return runOneOff(load, env, async (app) => {
    const { erased, report } = await app.get(PrivacyJobs).daily();
    const rows = Object.values(report.deleted).reduce((a, b) => a + b, 0);
    const perTable = Object.entries(report.deleted)
      .filter(([, n]) => n > 0)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ');
    return `${AUTH_SERVICE} retention: erased ${erased} account(s) due for deletion; deleted ${rows} row(s) in ${report.ms} ms (${report.ms > 0 ? Math.round((rows * 1000) / report.ms) : rows} rows/s)${perTable ? `: ${perTable}` : ''}`;
  });
}
