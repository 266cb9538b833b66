import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule } from '@keyhaven/database';
import { PlatformModule } from '@keyhaven/http';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { RELEASE_DATABASE } from './release-database';

@Module({})
export class AppModule {
  static forRoot(config: ReleaseConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: config.service, logLevel: config.logLevel }),
        DatabaseModule.forRoot({ url: databaseUrl, ...RELEASE_DATABASE }),
      ],
      providers: [{ provide: RELEASE_CONFIG, useValue: config }],
    };
  }
}
