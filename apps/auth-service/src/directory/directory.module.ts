import { DynamicModule, Module } from '@nestjs/common';
import { JobQueue } from '@keyhaven/jobs';
import { SessionsModule } from '../sessions/sessions.module';
import { DirectoryClientModule } from './directory-client.module';
import { DirectoryController } from './directory.controller';
import { DirectoryJobs } from './directory-jobs';
import { DirectorySyncRepository } from './directory-sync.repository';
import { DirectorySyncService } from './directory-sync.service';

/** LDAP / Active Directory: the sync, its runs and schedule, the admin routes (sign-in lives in accounts/first-factor.service.ts). */
@Module({})
export class DirectoryModule {
  static forRoot(databaseUrl: string): DynamicModule {
    return {
      module: DirectoryModule,
      imports: [DirectoryClientModule, SessionsModule],
      controllers: [DirectoryController],
      providers: [
        DirectorySyncRepository,
        DirectorySyncService,
        DirectoryJobs,
        // pg-boss in its own schema of the service's database; started by DirectoryJobs at boot (only with LDAP_URL).
        { provide: JobQueue, useFactory: () => new JobQueue({ connectionString: databaseUrl, schema: 'auth_jobs', pollingIntervalSeconds: 2, poolMax: 2 }) },
      ],
      exports: [DirectoryJobs, DirectorySyncService],
    };
  }
}
