import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, MaxLength } from 'class-validator';
import { Omittable } from '@keyhaven/errors';
import { WebAuthnAssertionDto } from '../../webauthn/dto/webauthn.dto';

/** Documented only: the body is read by PasswordGuard (FirstFactorService) before any pipe. */
export class SignInDto {
  @ApiPropertyOptional({ example: 'ada@example.test', description: 'the email of the account (local or directory); or give login' })
  email?: string;
  @ApiPropertyOptional({ example: 'ada', description: 'with LDAP_URL set: the directory login (LDAP_LOGIN_ATTR value) or mail' })
  login?: string;
  @ApiProperty({ example: 'correct horse battery staple' }) password!: string;
  @ApiPropertyOptional({
    example: 'khd_…',
    description:
      'A remembered device’s token (from a second step with rememberDevice): skips the second step (amr remembered_device, aal 1). 401 invalid_token when it is not valid; a token of another account is ignored. The account page sends it as the kh_device cookie instead.',
  })
  deviceToken?: string;
  @ApiPropertyOptional({ description: 'true: ask for the second factor even on a remembered device (step-up from the account page)' })
  skipRememberedDevice?: boolean;
}

const REMEMBER_DEVICE =
  'true: remember this device for AUTH_REMEMBER_DEVICE_TTL (default 30 days): the answer carries deviceToken, and the kh_device cookie is set';

export class CodeDto {
  @ApiProperty({ example: '123456', description: 'A 6-digit authenticator code, or a recovery code (case, spaces and dashes ignored)' })
  @IsString()
  @MaxLength(64)
  code!: string;

  @ApiPropertyOptional({ description: REMEMBER_DEVICE })
  @Omittable()
  @IsBoolean()
  rememberDevice?: boolean;
}

export class WebAuthnStepDto extends WebAuthnAssertionDto {
  @ApiPropertyOptional({ description: REMEMBER_DEVICE })
  @Omittable()
  @IsBoolean()
  rememberDevice?: boolean;
}

export const REFRESH_TOKEN_MAX_LENGTH = 512;

export class RefreshDto {
  @ApiProperty({ example: 'khr_3q2x…', description: 'The refresh token of the last sign-in or refresh answer (each works once)' })
  @IsString()
  @MaxLength(REFRESH_TOKEN_MAX_LENGTH)
  refreshToken!: string;
}

export class SessionAnswerDto {
  @ApiProperty() accessToken!: string;
  @ApiPropertyOptional({
    description: 'With every answer that opens a session (not with a pending token): trade it at POST /v1/sessions/refresh before the access token expires',
  })
  refreshToken?: string;
  @ApiPropertyOptional({ description: "seconds the refresh token works unused (AUTH_SESSION_IDLE, or less near the session's end)" })
  refreshExpiresIn?: number;
  @ApiProperty({ example: 'Bearer' }) tokenType!: string;
  @ApiProperty({ description: 'seconds' }) expiresIn!: number;
  @ApiProperty({ enum: [1, 2] }) aal!: number;
  @ApiProperty() mfaRequired!: boolean;
  @ApiProperty({ enum: ['totp', 'webauthn', 'recovery_code'], isArray: true, example: ['totp', 'recovery_code'] }) methods!: string[];
  @ApiProperty() enrollmentRequired!: boolean;
  @ApiPropertyOptional() enrollmentDeadline?: string;
  @ApiPropertyOptional() recoveryCodesRemaining?: number;
  @ApiPropertyOptional({ type: [String], example: ['recovery_codes_low'] }) warnings?: string[];
  @ApiPropertyOptional({ description: 'with rememberDevice: the device token (send it as deviceToken at the next password sign-in); shown once' })
  deviceToken?: string;
  @ApiPropertyOptional({ description: 'seconds the device token works' }) deviceTokenExpiresIn?: number;
}
