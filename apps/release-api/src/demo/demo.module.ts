import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { DemoLoader } from './demo-loader';

/** The demo catalog, loaded at boot with RELEASE_DEMO_DATA into an empty catalog. */
@Module({
  imports: [CatalogModule],
  providers: [DemoLoader],
  exports: [DemoLoader],
})
export class DemoModule {}
