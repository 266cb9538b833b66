import { Module } from '@nestjs/common';
import { AccountDataModule } from './account-data.module';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { PasswordHasher } from './password-hasher';
import { DirectoryClientModule } from '../directory/directory-client.module';
import { FirstFactorService } from './first-factor.service';

@Module({
  imports: [DirectoryClientModule, AccountDataModule],
  controllers: [AccountsController],
  providers: [PasswordHasher, AccountsService, FirstFactorService],
  exports: [AccountsService, PasswordHasher, FirstFactorService],
})
export class AccountsModule {}
