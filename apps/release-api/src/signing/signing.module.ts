import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { KeyCustody } from './key-custody';
import { ResponseSigner } from './response-signer';
import { SealingKey } from './sealing-key';

/** The check's signing keys, the key that seals secrets at rest, and the boot's key check. */
@Module({
  imports: [CatalogModule],
  providers: [SealingKey, ResponseSigner, KeyCustody],
  exports: [SealingKey, ResponseSigner, KeyCustody],
})
export class SigningModule {}
