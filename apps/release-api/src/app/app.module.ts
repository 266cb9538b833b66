import type { DestinationStream } from 'pino';
import { DynamicModule, Module } from '@nestjs/common';
import { AuthGuardModule } from '@keyhaven/auth-guard';
import { Clock, SystemClock } from '@keyhaven/config';
import { DatabaseModule } from '@keyhaven/database';
import { JobQueue } from '@keyhaven/jobs';
import { Mailer } from '@keyhaven/mail';
import { PlatformModule } from '@keyhaven/http';
import { AdvisoriesController } from '../advisories/advisories.controller';
import { AdvisoriesService } from '../advisories/advisories.service';
import { AuditController } from '../catalog/audit.controller';
import { CatalogRepository } from '../catalog/catalog.repository';
import { CatalogState } from '../catalog/catalog-state';
import { CheckController } from '../check/check.controller';
import { CheckService } from '../check/check.service';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { DemoLoader } from '../demo/demo-loader';
import { DeliveriesService } from '../maintenance/deliveries.service';
import { FeedsService } from '../maintenance/feeds.service';
import { MaintenanceFeedsController, MaintenanceWindowsController, SubscriptionsController } from '../maintenance/maintenance.controller';
import { MaintenanceJobs } from '../maintenance/maintenance-jobs';
import { MaintenanceRepository } from '../maintenance/maintenance.repository';
import { NoticeDispatcher } from '../maintenance/notice-dispatcher';
import { MaintenanceRetention } from '../maintenance/maintenance-retention';
import { ErasedOperators } from '../privacy/erased-operators';
import { PrivacyController } from '../privacy/privacy.controller';
import { ReleaseRetention } from '../privacy/release-retention';
import { UnsubscribeLinks } from '../maintenance/unsubscribe-links';
import { SubscriptionsService } from '../maintenance/subscriptions.service';
import { WindowsService } from '../maintenance/windows.service';
import { SYSTEM_WEBHOOK_RESOLVER, WEBHOOK_RESOLVER, WebhookSender } from '../maintenance/webhook-sender';
import type { WebhookResolver } from '@keyhaven/release-maintenance';
import { ReleasesController } from '../releases/releases.controller';
import { ReleasesService } from '../releases/releases.service';
import { ResponseSigner } from '../signing/response-signer';
import { SealingKey } from '../signing/sealing-key';
import { KeyCustody } from '../signing/key-custody';
import { StatsController } from '../stats/stats.controller';
import { StatsService } from '../stats/stats.service';
import { RELEASE_DATABASE } from './release-database';

export interface ReleaseAppOptions {
  /** Tests pass a ManualClock; the service runs on the system clock. */
  clock?: Clock;
  /** Tests pass a DNS of their own (e.g. a name that resolves to 127.0.0.1 only at delivery time). */
  webhookResolver?: WebhookResolver;
  /** Tests capture the log lines (to check what they carry); the service writes to standard output. */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: ReleaseConfig, databaseUrl: string, options: ReleaseAppOptions = {}): DynamicModule {
    const clock = options.clock ?? new SystemClock();
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: config.service, logLevel: config.logLevel, logDestination: options.logDestination }),
        DatabaseModule.forRoot({ url: databaseUrl, ...RELEASE_DATABASE }),
        AuthGuardModule.forRoot(
          {
            jwksUrl: config.auth.jwksUrl,
            issuer: config.auth.issuer,
            maxTokenLifetimeSeconds: Math.floor(config.auth.maxTokenLifetimeMs / 1000),
            revocation: { maxDelayMs: config.auth.revocation.maxDelayMs, ...(config.auth.revocation.url ? { url: config.auth.revocation.url } : {}) },
          },
          clock,
        ),
      ],
      controllers: [
        CheckController,
        ReleasesController,
        AdvisoriesController,
        StatsController,
        AuditController,
        MaintenanceWindowsController,
        MaintenanceFeedsController,
        SubscriptionsController,
        PrivacyController,
      ],
      providers: [
        { provide: RELEASE_CONFIG, useValue: config },
        { provide: Clock, useValue: clock },
        CatalogRepository,
        CatalogState,
        ResponseSigner,
        StatsService,
        CheckService,
        ReleasesService,
        AdvisoriesService,
        DemoLoader,
        SealingKey,
        KeyCustody,
        {
          // pg-boss in its own schema of the service's database; started by MaintenanceJobs at boot.
          provide: JobQueue,
          useFactory: () =>
            new JobQueue({
              connectionString: databaseUrl,
              schema: 'release_jobs',
              pollingIntervalSeconds: config.jobs.pollIntervalMs / 1000,
              maintenanceIntervalSeconds: Math.max(1, Math.round(config.jobs.maintenanceIntervalMs / 1000)),
              poolMax: config.jobs.poolMax,
            }),
        },
        { provide: Mailer, useFactory: () => new Mailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from }) },
        MaintenanceRepository,
        WindowsService,
        SubscriptionsService,
        UnsubscribeLinks,
        DeliveriesService,
        FeedsService,
        { provide: WEBHOOK_RESOLVER, useValue: options.webhookResolver ?? SYSTEM_WEBHOOK_RESOLVER },
        WebhookSender,
        NoticeDispatcher,
        ReleaseRetention,
        MaintenanceRetention,
        ErasedOperators,
        MaintenanceJobs,
      ],
    };
  }
}
