import { DynamicModule, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { Clock, SystemClock } from '@keyhaven/config';
import { DatabaseModule } from '@keyhaven/database';
import { PlatformModule } from '@keyhaven/http';
import { AccountsController } from '../accounts/accounts.controller';
import { AccountsService } from '../accounts/accounts.service';
import { PasswordHasher } from '../accounts/password-hasher';
import { AdminController } from '../admin/admin.controller';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { KEY_RING_PROVIDER } from '../crypto/key-ring.provider';
import { FactorsController } from '../factors/factors.controller';
import { MeFactorsService } from '../factors/me-factors.service';
import { TotpFactorRepository } from '../factors/totp-factor.repository';
import { TotpFactorsService } from '../factors/totp-factors.service';
import { SecurityNotifier } from '../notifications/security-notifier';
import { RecoveryCodeRepository } from '../recovery-codes/recovery-code.repository';
import { RecoveryCodesController } from '../recovery-codes/recovery-codes.controller';
import { RecoveryCodesService } from '../recovery-codes/recovery-codes.service';
import { SecondFactorAttempts } from '../second-factors/second-factor-attempts';
import { SecondFactorRegistry } from '../second-factors/second-factor-registry';
import { SECOND_FACTOR_STRATEGIES, SecondFactorStrategy } from '../second-factors/second-factor.strategy';
import { SecurityEventsController } from '../security-events/security-events.controller';
import { SecurityEventsService } from '../security-events/security-events.service';
import { SessionsController } from '../sessions/sessions.controller';
import { SessionsService } from '../sessions/sessions.service';
import { JwtStrategy } from '../sessions/strategies/jwt.strategy';
import { LocalStrategy } from '../sessions/strategies/local.strategy';
import { TokenService } from '../sessions/token.service';
import { JwksController } from '../signing-keys/jwks.controller';
import { SigningKeysService } from '../signing-keys/signing-keys.service';
import { AUTH_DATABASE } from './auth-database';

export interface AuthAppOverrides {
  /** Tests move time by hand. */
  clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot(config: AuthConfig, databaseUrl: string, overrides: AuthAppOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: config.service, logLevel: config.logLevel }),
        DatabaseModule.forRoot({ url: databaseUrl, ...AUTH_DATABASE }),
        PassportModule.register({ session: false }),
        ThrottlerModule.forRoot({ throttlers: [{ name: 'sign-in', ttl: config.throttle.windowMs, limit: config.throttle.limit }] }),
      ],
      controllers: [
        JwksController,
        AccountsController,
        SessionsController,
        FactorsController,
        RecoveryCodesController,
        SecurityEventsController,
        AdminController,
      ],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: Clock, useValue: overrides.clock ?? new SystemClock() },
        KEY_RING_PROVIDER,
        PasswordHasher,
        AccountsService,
        SigningKeysService,
        TokenService,
        LocalStrategy,
        JwtStrategy,
        SecurityEventsService,
        SecurityNotifier,
        TotpFactorRepository,
        TotpFactorsService,
        RecoveryCodeRepository,
        RecoveryCodesService,
        {
          // Every second factor behind the one interface; WebAuthn joins this list.
          provide: SECOND_FACTOR_STRATEGIES,
          inject: [TotpFactorsService, RecoveryCodesService],
          useFactory: (...strategies: SecondFactorStrategy<never>[]) => strategies,
        },
        SecondFactorRegistry,
        SecondFactorAttempts,
        SessionsService,
        MeFactorsService,
      ],
    };
  }
}
