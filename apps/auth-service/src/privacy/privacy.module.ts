import { Module } from '@nestjs/common';
import { AccountDataModule } from '../accounts/account-data.module';
import { SessionsModule } from '../sessions/sessions.module';
import { DataRightsController } from './data-rights.controller';
import { DeletionLinks } from './deletion-links';
import { DeletionService } from './deletion.service';
import { ErasureService } from './erasure.service';
import { ExportService } from './export.service';
import { PersonalDataRepository } from './personal-data.repository';
import { PrivacyController } from './privacy.controller';
import { PrivacyJobs } from './privacy-jobs';
import { RetentionService } from './retention.service';

/** GDPR: records of processing, retention, export, self-service deletion and erasure (its jobs on AuthJobsModule's queue). */
@Module({
  imports: [SessionsModule, AccountDataModule],
  controllers: [PrivacyController, DataRightsController],
  providers: [PersonalDataRepository, RetentionService, ExportService, DeletionLinks, DeletionService, ErasureService, PrivacyJobs],
  exports: [RetentionService, ErasureService, PrivacyJobs],
})
export class PrivacyModule {}
