import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule } from '@keyhaven/database';
import { PlatformModule } from '@keyhaven/http';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { AUTH_DATABASE } from './auth-database';

@Module({})
export class AppModule {
  static forRoot(config: AuthConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: config.service, logLevel: config.logLevel }),
        DatabaseModule.forRoot({ url: databaseUrl, ...AUTH_DATABASE }),
      ],
      providers: [{ provide: AUTH_CONFIG, useValue: config }],
    };
  }
}
