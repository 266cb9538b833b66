import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { MeSessionsController, SignOutController } from './me-sessions.controller';
import { MeSessionsService } from './me-sessions.service';
import { PasswordChangeService } from './password-change.service';
import { PasswordController } from './password.controller';
import { AccountsModule } from '../accounts/accounts.module';

/** "Where you're signed in" (/v1/me/sessions, /v1/me/remembered-devices), sign-out, and the password change that ends the other sessions. */
@Module({
  imports: [SessionsModule, AccountsModule],
  controllers: [MeSessionsController, SignOutController, PasswordController],
  providers: [MeSessionsService, PasswordChangeService],
  exports: [MeSessionsService],
})
export class MeSessionsModule {}
