import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { ErasedOperators } from './erased-operators';
import { ErasureSyncRepository } from './erasure-sync.repository';
import { PrivacyController } from './privacy.controller';
import { ReleaseRetention } from './release-retention';

/** The records of processing, the retention runner over the data inventory, and erased operators' pseudonyms. */
@Module({
  imports: [CatalogModule],
  controllers: [PrivacyController],
  providers: [ErasureSyncRepository, ReleaseRetention, ErasedOperators],
  exports: [ReleaseRetention, ErasedOperators],
})
export class PrivacyModule {}
