import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { SigningModule } from '../signing/signing.module';
import { StatsModule } from '../stats/stats.module';
import { CheckController } from './check.controller';
import { CheckService } from './check.service';

/** The signed update check. CheckService is exported for the lean lane (`check.lean-route.ts`). */
@Module({
  imports: [CatalogModule, SigningModule, StatsModule],
  controllers: [CheckController],
  providers: [CheckService],
  exports: [CheckService],
})
export class CheckModule {}
