import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { AdvisoriesController } from './advisories.controller';
import { AdvisoriesService } from './advisories.service';

/** Security advisories of the catalog, with their OSV export. */
@Module({
  imports: [CatalogModule],
  controllers: [AdvisoriesController],
  providers: [AdvisoriesService],
})
export class AdvisoriesModule {}
