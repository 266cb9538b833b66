import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { ReleasesController } from './releases.controller';
import { ReleasesService } from './releases.service';

/** Releases of the catalog: public reads, ops writes. */
@Module({
  imports: [CatalogModule],
  controllers: [ReleasesController],
  providers: [ReleasesService],
})
export class ReleasesModule {}
