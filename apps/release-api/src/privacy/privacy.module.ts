import { Module } from '@nestjs/common';
import { DATA_INVENTORY, PrivacyRecordsController } from '@keyhaven/http';
import { RELEASE_CONFIG } from '../config/release.config';
import { CatalogModule } from '../catalog/catalog.module';
import { ErasedOperators } from './erased-operators';
import { ErasureSyncRepository } from './erasure-sync.repository';
import { releaseDataInventory } from './release-data-inventory';
import { ReleaseRetention } from './release-retention';

/** The records of processing, the retention runner over the data inventory, and erased operators' pseudonyms. */
@Module({
  imports: [CatalogModule],
  controllers: [PrivacyRecordsController],
  providers: [
    { provide: DATA_INVENTORY, useFactory: releaseDataInventory, inject: [RELEASE_CONFIG] },
    ErasureSyncRepository,
    ReleaseRetention,
    ErasedOperators,
  ],
  exports: [ReleaseRetention, ErasedOperators],
})
export class PrivacyModule {}
