import { Module } from '@nestjs/common';
import { AccountRepository } from './account.repository';

/**
 * The owner of `auth.account`'s queries, for every feature that reads or writes accounts
 * (accounts, the directory sync, privacy, recovery codes) without importing AccountsModule and
 * what it brings.
 */
@Module({
  providers: [AccountRepository],
  exports: [AccountRepository],
})
export class AccountDataModule {}
