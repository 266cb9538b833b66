import { DynamicModule, Module } from '@nestjs/common';
import { JobQueue } from '@keyhaven/jobs';
import { Mailer } from '@keyhaven/mail';
import type { WebhookResolver } from '@keyhaven/release-maintenance';
import { CatalogModule } from '../catalog/catalog.module';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { PrivacyModule } from '../privacy/privacy.module';
import { SigningModule } from '../signing/signing.module';
import { DeliveriesService } from './deliveries.service';
import { FeedsService } from './feeds.service';
import { MaintenanceFeedsController } from './maintenance-feeds.controller';
import { MaintenanceJobs } from './maintenance-jobs';
import { MaintenanceRetention } from './maintenance-retention';
import { MaintenanceWindowsController } from './maintenance-windows.controller';
import { NoticeDispatcher } from './notice-dispatcher';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';
import { UnsubscribeLinks } from './unsubscribe-links';
import { SYSTEM_WEBHOOK_RESOLVER, WEBHOOK_RESOLVER, WebhookSender } from './webhook-sender';
import { WindowsService } from './windows.service';

export interface MaintenanceModuleOptions {
  /** The service's database: pg-boss keeps its jobs in schema `release_jobs` of it. */
  databaseUrl: string;
  /** Tests pass a DNS of their own; the service uses the system's. */
  webhookResolver?: WebhookResolver;
}

/**
 * Maintenance windows, their feeds, subscriptions and notice deliveries (mail and webhooks),
 * with the job queue and mailer that only they use. Exports what the boot and the erasure
 * commands call: MaintenanceJobs (started after migrations), SubscriptionsService (erasures),
 * MaintenanceRetention (the retention job's report). Its repository, MaintenanceRepository, comes
 * from CatalogModule, which provides it once: the catalog snapshot reads the open windows too.
 */
@Module({})
export class MaintenanceModule {
  static forRoot(options: MaintenanceModuleOptions): DynamicModule {
    return {
      module: MaintenanceModule,
      imports: [CatalogModule, SigningModule, PrivacyModule],
      controllers: [MaintenanceWindowsController, MaintenanceFeedsController, SubscriptionsController],
      providers: [
        {
          // pg-boss in its own schema of the service's database; started by MaintenanceJobs at boot.
          provide: JobQueue,
          inject: [RELEASE_CONFIG],
          useFactory: (config: ReleaseConfig) =>
            new JobQueue({
              connectionString: options.databaseUrl,
              schema: 'release_jobs',
              pollingIntervalSeconds: config.jobs.pollIntervalMs / 1000,
              maintenanceIntervalSeconds: Math.max(1, Math.round(config.jobs.maintenanceIntervalMs / 1000)),
              poolMax: config.jobs.poolMax,
            }),
        },
        {
          provide: Mailer,
          inject: [RELEASE_CONFIG],
          useFactory: (config: ReleaseConfig) => new Mailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from }),
        },
        { provide: WEBHOOK_RESOLVER, useValue: options.webhookResolver ?? SYSTEM_WEBHOOK_RESOLVER },
        WindowsService,
        SubscriptionsService,
        UnsubscribeLinks,
        DeliveriesService,
        FeedsService,
        WebhookSender,
        NoticeDispatcher,
        MaintenanceRetention,
        MaintenanceJobs,
      ],
      exports: [MaintenanceJobs, SubscriptionsService, MaintenanceRetention],
    };
  }
}
