import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AccountsModule } from '../accounts/accounts.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { ConsumedTokenRepository } from './consumed-token.repository';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';
import { JwtStrategy } from './strategies/jwt.strategy';
import { LocalStrategy } from './strategies/local.strategy';
import { TokenService } from './token.service';
import { SessionIssuer } from './session-issuer';
import { SessionStore } from './session.store';

/** Sign-in (password, second factor) and the passport strategies every guarded route relies on. */
@Module({
  imports: [PassportModule.register({ session: false }), AccountsModule, SigningKeysModule],
  controllers: [SessionsController],
  providers: [ConsumedTokenRepository, SessionStore, SessionIssuer, TokenService, LocalStrategy, JwtStrategy, SessionsService],
  exports: [SessionStore],
})
export class SessionsModule {}
