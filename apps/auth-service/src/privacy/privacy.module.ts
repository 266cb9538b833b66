import { DynamicModule, Module } from '@nestjs/common';
import { JobQueue } from '@keyhaven/jobs';
import { AUTH_JOBS_SCHEMA } from './auth-data-inventory';
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

/** GDPR: records of processing, retention, export, self-service deletion and erasure. */
@Module({})
export class PrivacyModule {
  static forRoot(databaseUrl: string): DynamicModule {
    return {
      module: PrivacyModule,
      imports: [SessionsModule],
      controllers: [PrivacyController, DataRightsController],
      providers: [
        // pg-boss in its own schema of the service's database; started by PrivacyJobs at boot.
        { provide: JobQueue, useFactory: () => new JobQueue({ connectionString: databaseUrl, schema: AUTH_JOBS_SCHEMA, pollingIntervalSeconds: 5, poolMax: 2 }) },
        PersonalDataRepository,
        RetentionService,
        ExportService,
        DeletionLinks,
        DeletionService,
        ErasureService,
        PrivacyJobs,
      ],
      exports: [RetentionService, ErasureService, PrivacyJobs],
    };
  }
}
