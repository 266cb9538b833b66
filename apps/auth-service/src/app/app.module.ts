import type { DestinationStream } from 'pino';
import { DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { Clock } from '@keyhaven/config';
import { DatabaseModule } from '@keyhaven/database';
import { PlatformModule, SlidingLogThrottlerStorage } from '@keyhaven/http';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthConfig } from '../config/auth.config';
import { CoreModule } from '../core/core.module';
import { DirectoryModule } from '../directory/directory.module';
import { FactorsModule } from '../factors/factors.module';
import { SecondFactorsModule } from '../second-factors/second-factors.module';
import { PrivacyModule } from '../privacy/privacy.module';
import { SessionsModule } from '../sessions/sessions.module';
import { MeSessionsModule } from '../me-sessions/me-sessions.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { KeyCustodyModule } from '../crypto/key-custody.module';
import { AUTH_DATABASE } from './auth-database';
import { AuthJobsModule } from './auth-jobs.module';

export interface AuthAppOverrides {
  /** Tests move time by hand. */
  clock?: Clock;
  /** Tests capture the log lines (to check what they carry); the service writes to standard output. */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: AuthConfig, databaseUrl: string, overrides: AuthAppOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: config.service, logLevel: config.logLevel, logDestination: overrides.logDestination }),
        DatabaseModule.forRoot({ url: databaseUrl, ...AUTH_DATABASE }),
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'sign-in', ttl: config.throttle.windowMs, limit: config.throttle.limit }],
          storage: new SlidingLogThrottlerStorage(),
        }),
        CoreModule.forRoot(config, overrides.clock),
        SigningKeysModule,
        KeyCustodyModule,
        AccountsModule,
        SecondFactorsModule,
        SessionsModule,
        MeSessionsModule,
        FactorsModule,
        AuthJobsModule.forRoot(databaseUrl),
        PrivacyModule,
        DirectoryModule,
      ],
    };
  }
}
