import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

/** Documented only: the body is read by the passport `local` strategy before any pipe. */
export class SignInDto {
  @ApiProperty({ example: 'ada@example.test' }) email!: string;
  @ApiProperty({ example: 'correct horse battery staple' }) password!: string;
}

export class CodeDto {
  @ApiProperty({ example: '123456', description: 'A 6-digit authenticator code, or a recovery code (case, spaces and dashes ignored)' })
  @IsString()
  @MaxLength(64)
  code!: string;
}

export class RefreshDto {
  @ApiProperty({ example: 'khr_3q2x…', description: 'The refresh token of the last sign-in or refresh answer (each works once)' })
  @IsString()
  @MaxLength(512)
  refreshToken!: string;
}

export class SessionAnswerDto {
  @ApiProperty() accessToken!: string;
  @ApiPropertyOptional({ description: 'With every answer that opens a session (not with a pending token): trade it at POST /v1/sessions/refresh before the access token expires' })
  refreshToken?: string;
  @ApiPropertyOptional({ description: 'seconds the refresh token works unused (AUTH_SESSION_IDLE, or less near the session\'s end)' })
  refreshExpiresIn?: number;
  @ApiProperty({ example: 'Bearer' }) tokenType!: string;
  @ApiProperty({ description: 'seconds' }) expiresIn!: number;
  @ApiProperty({ enum: [1, 2] }) aal!: number;
  @ApiProperty() mfaRequired!: boolean;
  @ApiProperty({ type: [String], example: ['totp', 'recovery_code'] }) methods!: string[];
  @ApiProperty() enrollmentRequired!: boolean;
  @ApiPropertyOptional() enrollmentDeadline?: string;
  @ApiPropertyOptional() recoveryCodesRemaining?: number;
  @ApiPropertyOptional({ type: [String], example: ['recovery_codes_low'] }) warnings?: string[];
}
