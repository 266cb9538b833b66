import { DynamicModule, Module } from '@nestjs/common';
import { AuthGuardModule } from '@keyhaven/auth-guard';
import { Clock, SystemClock } from '@keyhaven/config';
import { DatabaseModule } from '@keyhaven/database';
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
import { ReleasesController } from '../releases/releases.controller';
import { ReleasesService } from '../releases/releases.service';
import { ResponseSigner } from '../signing/response-signer';
import { StatsController } from '../stats/stats.controller';
import { StatsService } from '../stats/stats.service';
import { RELEASE_DATABASE } from './release-database';

export interface ReleaseAppOptions {
  /** Tests pass a ManualClock; the service runs on the system clock. */
  clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot(config: ReleaseConfig, databaseUrl: string, options: ReleaseAppOptions = {}): DynamicModule {
    const clock = options.clock ?? new SystemClock();
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: config.service, logLevel: config.logLevel }),
        DatabaseModule.forRoot({ url: databaseUrl, ...RELEASE_DATABASE }),
        AuthGuardModule.forRoot({ jwksUrl: config.auth.jwksUrl, issuer: config.auth.issuer }, clock),
      ],
      controllers: [CheckController, ReleasesController, AdvisoriesController, StatsController, AuditController],
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
      ],
    };
  }
}
