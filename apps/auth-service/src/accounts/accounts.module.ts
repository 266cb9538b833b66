import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { PasswordHasher } from './password-hasher';

@Module({
  controllers: [AccountsController],
  providers: [PasswordHasher, AccountsService],
  exports: [AccountsService, PasswordHasher],
})
export class AccountsModule {}
