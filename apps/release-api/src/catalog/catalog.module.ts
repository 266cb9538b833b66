import { Module } from '@nestjs/common';
import { AdvisoryRepository } from '../advisories/advisory.repository';
import { MaintenanceRepository } from '../maintenance/maintenance.repository';
import { ReleaseRepository } from '../releases/release.repository';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { CatalogChanges } from './catalog-changes';
import { CatalogRepository } from './catalog.repository';
import { CatalogState } from './catalog-state';

/**
 * The catalog's rows, sequence and audit trail, the unit of work of a catalog change, and the
 * in-memory snapshot every reader shares. The snapshot reads releases, advisories and open
 * maintenance windows, so the repositories of those tables are provided (once) here and
 * exported to their features.
 */
@Module({
  controllers: [AuditController],
  providers: [CatalogRepository, ReleaseRepository, AdvisoryRepository, MaintenanceRepository, CatalogChanges, CatalogState, AuditService],
  exports: [CatalogRepository, ReleaseRepository, AdvisoryRepository, MaintenanceRepository, CatalogChanges, CatalogState],
})
export class CatalogModule {}
