import { Module } from '@nestjs/common';
import { DATA_INVENTORY, PrivacyRecordsController } from '@keyhaven/http';
import { AUTH_CONFIG } from '../config/auth.config';
import { AccountDataModule } from '../accounts/account-data.module';
import { SessionsModule } from '../sessions/sessions.module';
import { authDataInventory } from './auth-data-inventory';
import { DataRightsController } from './data-rights.controller';
import { DeletionLinks } from './deletion-links';
import { DeletionService } from './deletion.service';
import { ErasureService } from './erasure.service';
import { ExportService } from './export.service';
import { PersonalDataRepository } from './personal-data.repository';
import { PrivacyJobs } from './privacy-jobs';
import { RetentionService } from './retention.service';

/** GDPR: records of processing, retention, export, self-service deletion and erasure (its jobs on AuthJobsModule's queue). */
@Module({
  imports: [SessionsModule, AccountDataModule],
  controllers: [PrivacyRecordsController, DataRightsController],
  providers: [
    { provide: DATA_INVENTORY, useFactory: authDataInventory, inject: [AUTH_CONFIG] },
    PersonalDataRepository,
    RetentionService,
    ExportService,
    DeletionLinks,
    DeletionService,
    ErasureService,
    PrivacyJobs,
  ],
  exports: [RetentionService, ErasureService, PrivacyJobs],
})
export class PrivacyModule {}
