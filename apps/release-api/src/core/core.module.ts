import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';

/**
 * What every feature of release-api reads: the parsed configuration and the clock. The only
 * global module of the service (as auth-service's CoreModule): both are values fixed at boot that
 * every feature needs, so each feature importing them would say nothing. Everything else is
 * imported explicitly from the feature module that exports it.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: ReleaseConfig, clock: Clock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: RELEASE_CONFIG, useValue: config },
        { provide: Clock, useValue: clock },
      ],
      exports: [RELEASE_CONFIG, Clock],
    };
  }
}
