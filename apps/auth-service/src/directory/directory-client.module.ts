import { Module } from '@nestjs/common';
import { Clock } from '@keyhaven/config';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { DirectoryClient } from './directory.client';

/**
 * The directory client, or `null` when LDAP_URL is unset (the feature is off): sign-in, the
 * password re-check of enrollment and the sync ask `DirectoryClient | null`.
 */
@Module({
  providers: [
    {
      provide: DirectoryClient,
      inject: [AUTH_CONFIG, Clock],
      useFactory: (config: AuthConfig, clock: Clock) => (config.directory ? new DirectoryClient(config.directory, clock) : null),
    },
  ],
  exports: [DirectoryClient],
})
export class DirectoryClientModule {}
