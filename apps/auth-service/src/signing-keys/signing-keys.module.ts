import { Module } from '@nestjs/common';
import { JwksController } from './jwks.controller';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeysService } from './signing-keys.service';

@Module({
  controllers: [JwksController],
  providers: [SigningKeyRepository, SigningKeysService],
  exports: [SigningKeysService, SigningKeyRepository],
})
export class SigningKeysModule {}
