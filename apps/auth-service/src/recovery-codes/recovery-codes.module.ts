import { Module } from '@nestjs/common';
import { AccountDataModule } from '../accounts/account-data.module';
import { RecoveryCodeRepository } from './recovery-code.repository';
import { RecoveryCodesService } from './recovery-codes.service';

/** The recovery-code strategy; its controller sits with the other /v1/me factor routes (FactorsModule). */
@Module({
  imports: [AccountDataModule],
  providers: [RecoveryCodeRepository, RecoveryCodesService],
  exports: [RecoveryCodesService],
})
export class RecoveryCodesModule {}
