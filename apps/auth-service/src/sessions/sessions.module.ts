import { AccountDataModule } from '../accounts/account-data.module';
import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AccountsModule } from '../accounts/accounts.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { ConsumedTokenRepository } from './consumed-token.repository';
import { SignInStepRepository } from './sign-in-step.repository';
import { SessionsController } from './sessions.controller';
import { SecondStepService } from './second-step.service';
import { SessionsService } from './sessions.service';
import { JwtStrategy } from './strategies/jwt.strategy';
import { TokenService } from './token.service';
import { SessionIssuer } from './session-issuer';
import { SessionStore } from './session.store';
import { RememberedDeviceStore } from './remembered-device.store';
import { SessionRevocation } from './session-revocation';
import { RevocationListController, RevocationListService } from './revocation-list';
import { RememberedDevices } from './remembered-devices';
import { RefreshTokens } from './refresh-tokens';

/** Sign-in (password, second factor) and the passport strategies every guarded route relies on. */
@Module({
  imports: [PassportModule.register({ session: false }), AccountsModule, AccountDataModule, SigningKeysModule],
  controllers: [SessionsController, RevocationListController],
  providers: [
    ConsumedTokenRepository,
    SignInStepRepository,
    SessionStore,
    RememberedDeviceStore,
    SessionRevocation,
    RevocationListService,
    RememberedDevices,
    RefreshTokens,
    SessionIssuer,
    TokenService,
    JwtStrategy,
    SessionsService,
    SecondStepService,
  ],
  exports: [SessionStore, RememberedDeviceStore, SessionRevocation],
})
export class SessionsModule {}
