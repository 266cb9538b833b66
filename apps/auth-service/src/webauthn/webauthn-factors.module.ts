import { Module } from '@nestjs/common';
import { WebAuthnChallengeRepository } from './webauthn-challenge.repository';
import { WebAuthnCredentialRepository } from './webauthn-credential.repository';
import { WebAuthnFactorsService } from './webauthn-factors.service';

/** The WebAuthn strategy and its storage; its routes live with the factor and session routes. */
@Module({
  providers: [WebAuthnCredentialRepository, WebAuthnChallengeRepository, WebAuthnFactorsService],
  exports: [WebAuthnFactorsService],
})
export class WebAuthnFactorsModule {}
