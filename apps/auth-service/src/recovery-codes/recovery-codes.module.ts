import { Module } from '@nestjs/common';
import { RecoveryCodeRepository } from './recovery-code.repository';
import { RecoveryCodesController } from './recovery-codes.controller';
import { RecoveryCodesService } from './recovery-codes.service';

@Module({
  controllers: [RecoveryCodesController],
  providers: [RecoveryCodeRepository, RecoveryCodesService],
  exports: [RecoveryCodesService],
})
export class RecoveryCodesModule {}
