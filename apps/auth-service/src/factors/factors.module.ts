import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AdminController } from '../admin/admin.controller';
import { RecoveryCodesController } from '../recovery-codes/recovery-codes.controller';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminSessionsService } from '../admin/admin-sessions.service';
import { FactorsController } from './factors.controller';
import { MeFactorsService } from './me-factors.service';

/** A user's own factors (/v1/me/factors), recovery codes (/v1/me/recovery-codes) and the admin operations on them. */
@Module({
  imports: [AccountsModule, SigningKeysModule, SessionsModule],
  controllers: [FactorsController, RecoveryCodesController, AdminController],
  providers: [MeFactorsService, AdminSessionsService],
})
export class FactorsModule {}
