import { Module } from '@nestjs/common';
import { AccountDataModule } from '../accounts/account-data.module';
import { SessionsModule } from '../sessions/sessions.module';
import { DirectoryClientModule } from './directory-client.module';
import { DirectoryController } from './directory.controller';
import { DirectoryJobs } from './directory-jobs';
import { DirectorySyncRepository } from './directory-sync.repository';
import { DirectorySyncService } from './directory-sync.service';

/**
 * LDAP / Active Directory: the sync, its runs and schedule (on AuthJobsModule's queue), the admin
 * routes (sign-in lives in accounts/first-factor.service.ts).
 */
@Module({
  imports: [DirectoryClientModule, SessionsModule, AccountDataModule],
  controllers: [DirectoryController],
  providers: [DirectorySyncRepository, DirectorySyncService, DirectoryJobs],
  exports: [DirectoryJobs, DirectorySyncService],
})
export class DirectoryModule {}
