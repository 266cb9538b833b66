import { Module } from '@nestjs/common';
import { TotpFactorRepository } from './totp-factor.repository';
import { TotpFactorsService } from './totp-factors.service';

/** The TOTP strategy and its storage; the HTTP surface for factors is FactorsModule. */
@Module({
  providers: [TotpFactorRepository, TotpFactorsService],
  exports: [TotpFactorsService, TotpFactorRepository],
})
export class TotpFactorsModule {}
