import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { CatalogRepository } from './catalog.repository';
import { CatalogState } from './catalog-state';

/** The catalog's rows, sequence and audit trail, and the in-memory snapshot every reader shares. */
@Module({
  controllers: [AuditController],
  providers: [CatalogRepository, CatalogState],
  exports: [CatalogRepository, CatalogState],
})
export class CatalogModule {}
