import { Module } from '@nestjs/common';
import { TotpFactorsModule } from '../factors/totp-factors.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { KeyCheckRepository } from './key-check.repository';
import { KeyCustody } from './key-custody';

/**
 * The boot's key check (and `check`'s sample): reads the key-check values and, through their
 * repositories, the sealed TOTP secrets and signing keys.
 */
@Module({
  imports: [TotpFactorsModule, SigningKeysModule],
  providers: [KeyCheckRepository, KeyCustody],
  exports: [KeyCustody],
})
export class KeyCustodyModule {}
