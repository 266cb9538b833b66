import { DynamicModule, Module } from '@nestjs/common';
import { JobQueue } from '@keyhaven/jobs';
import { AUTH_JOBS_SCHEMA } from '../privacy/auth-data-inventory';

/**
 * auth-service's one durable job queue: pg-boss in schema `auth_jobs` of the service's database,
 * shared by the privacy jobs (retention, scheduled erasures) and the directory sync — one pool,
 * one maintenance and cron supervisor. Each feature starts its own queues on it at boot
 * (PrivacyJobs, DirectoryJobs); whichever starts first starts pg-boss.
 */
@Module({})
export class AuthJobsModule {
  static forRoot(databaseUrl: string): DynamicModule {
    return {
      module: AuthJobsModule,
      global: true,
      providers: [
        {
          provide: JobQueue,
          useFactory: () => new JobQueue({ connectionString: databaseUrl, schema: AUTH_JOBS_SCHEMA, pollingIntervalSeconds: 5, poolMax: 3 }),
        },
      ],
      exports: [JobQueue],
    };
  }
}
