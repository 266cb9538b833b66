import type { DestinationStream } from 'pino';
import { DynamicModule, Module } from '@nestjs/common';
import { AuthGuardModule } from '@keyhaven/auth-guard';
import { Clock, SystemClock } from '@keyhaven/config';
import { DatabaseModule } from '@keyhaven/database';
import { PlatformModule } from '@keyhaven/http';
import type { WebhookResolver } from '@keyhaven/release-maintenance';
import { AdvisoriesModule } from '../advisories/advisories.module';
import { CatalogModule } from '../catalog/catalog.module';
import { CheckModule } from '../check/check.module';
import { ReleaseConfig } from '../config/release.config';
import { CoreModule } from '../core/core.module';
import { DemoModule } from '../demo/demo.module';
import { MaintenanceModule } from '../maintenance/maintenance.module';
import { PrivacyModule } from '../privacy/privacy.module';
import { ReleasesModule } from '../releases/releases.module';
import { SigningModule } from '../signing/signing.module';
import { StatsModule } from '../stats/stats.module';
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
        CoreModule.forRoot(config, clock),
        CheckModule,
        ReleasesModule,
        AdvisoriesModule,
        StatsModule,
        CatalogModule,
        MaintenanceModule.forRoot({ databaseUrl, webhookResolver: options.webhookResolver }),
        PrivacyModule,
        SigningModule,
        DemoModule,
      ],
    };
  }
}
