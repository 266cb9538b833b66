import { AccountDataModule } from '../accounts/account-data.module';
import { Global, Module } from '@nestjs/common';
import { RecoveryCodesModule } from '../recovery-codes/recovery-codes.module';
import { RecoveryCodesService } from '../recovery-codes/recovery-codes.service';
import { TotpFactorsModule } from '../factors/totp-factors.module';
import { TotpFactorsService } from '../factors/totp-factors.service';
import { WebAuthnFactorsModule } from '../webauthn/webauthn-factors.module';
import { WebAuthnFactorsService } from '../webauthn/webauthn-factors.service';
import { SecondFactorAttempts } from './second-factor-attempts';
import { SecondFactorRegistry } from './second-factor-registry';
import { SECOND_FACTOR_STRATEGIES, SecondFactorStrategy } from './second-factor.strategy';

/**
 * Every second factor behind the one strategy interface, the registry that asks them all, and
 * the shared failure counter. Global, because the step-up guard on any controller needs the
 * registry. A new factor type joins by importing its module here and adding its service to the list.
 */
@Global()
@Module({
  imports: [AccountDataModule, TotpFactorsModule, WebAuthnFactorsModule, RecoveryCodesModule],
  providers: [
    {
      provide: SECOND_FACTOR_STRATEGIES,
      // The order is the order of `methods` in the sign-in answer.
      inject: [TotpFactorsService, WebAuthnFactorsService, RecoveryCodesService],
      useFactory: (...strategies: SecondFactorStrategy<never>[]) => strategies,
    },
    SecondFactorRegistry,
    SecondFactorAttempts,
  ],
  exports: [SecondFactorRegistry, SecondFactorAttempts, TotpFactorsModule, WebAuthnFactorsModule, RecoveryCodesModule],
})
export class SecondFactorsModule {}
