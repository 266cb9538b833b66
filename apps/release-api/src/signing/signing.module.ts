import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { KeyCheckRepository } from './key-check.repository';
import { KeyCustody } from './key-custody';
import { ResponseSigner } from './response-signer';
import { SealingKey } from './sealing-key';
import { SigningKeyRepository } from './signing-key.repository';

/** The check's signing keys, the key that seals secrets at rest, and the boot's key check. */
@Module({
  imports: [CatalogModule],
  providers: [SigningKeyRepository, KeyCheckRepository, SealingKey, ResponseSigner, KeyCustody],
  exports: [SealingKey, ResponseSigner, KeyCustody],
})
export class SigningModule {}
