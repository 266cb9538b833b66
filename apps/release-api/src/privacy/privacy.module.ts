import { Module } from '@nestjs/common';
import { ErasedOperators } from './erased-operators';
import { PrivacyController } from './privacy.controller';
import { ReleaseRetention } from './release-retention';

/** The records of processing, the retention runner over the data inventory, and erased operators' pseudonyms. */
@Module({
  controllers: [PrivacyController],
  providers: [ReleaseRetention, ErasedOperators],
  exports: [ReleaseRetention, ErasedOperators],
})
export class PrivacyModule {}
