import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Clock, SystemClock } from '@keyhaven/config';
import { AccessTokenGuard } from './access-token.guard';
import { AUTH_GUARD_OPTIONS, AuthGuardOptions, TokenVerifier } from './token-verifier';

/**
 * Makes {@link AccessTokenGuard} available to every module of a resource server. Token expiry
 * is judged by `clock` (the app's own, so tests can move time).
 */
@Global()
@Module({})
export class AuthGuardModule implements OnApplicationShutdown {
  constructor(@Inject(TokenVerifier) private readonly verifier: TokenVerifier) {}

  onApplicationShutdown(): void {
    this.verifier.close();
  }

  static forRoot(options: AuthGuardOptions, clock: Clock = new SystemClock()): DynamicModule {
    return {
      module: AuthGuardModule,
      providers: [
        { provide: AUTH_GUARD_OPTIONS, useValue: options },
        { provide: TokenVerifier, inject: [AUTH_GUARD_OPTIONS], useFactory: (o: AuthGuardOptions) => new TokenVerifier(o, clock) },
        AccessTokenGuard,
      ],
      exports: [TokenVerifier, AccessTokenGuard],
    };
  }
}
