import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { HasText, Omittable } from '@keyhaven/errors';

/** The password again, for enrolling the first factor (see MeFactorsService.proveFirstFactor). */
export const CURRENT_PASSWORD_DOC = {
  description:
    'Your current password. Required while the account has no confirmed second factor (403 password_required without it, 401 invalid_credentials when wrong); ignored once it has one.',
} as const;

export class EnrollTotpDto {
  @ApiProperty({ example: 'Phone', description: 'A name to tell your authenticators apart' })
  @IsString()
  @HasText()
  @MaxLength(64)
  name!: string;

  @ApiPropertyOptional(CURRENT_PASSWORD_DOC)
  @Omittable()
  @IsString()
  @MaxLength(1024)
  currentPassword?: string;
}

export class ConfirmTotpDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @MaxLength(16)
  code!: string;
}

export class FactorDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['totp', 'webauthn'] }) type!: string;
  @ApiProperty() name!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() confirmed!: boolean;
  @ApiProperty({ type: String, nullable: true }) confirmedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastUsedAt!: string | null;
  @ApiPropertyOptional({ description: 'webauthn: a passkey (signs in without a password)' }) passkey?: boolean;
  @ApiPropertyOptional({ description: 'webauthn: backed up / synced by its provider' }) backedUp?: boolean;
}

export class TotpEnrollmentDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'base32, 160 bits' }) secret!: string;
  @ApiProperty({ example: 'otpauth://totp/Keyhaven:ada%40example.test?secret=…' }) otpauthUri!: string;
  @ApiProperty({ description: 'the otpauth URI as a QR code, SVG markup' }) qrSvg!: string;
}

export class ConfirmedFactorDto {
  @ApiProperty({ type: FactorDto }) factor!: FactorDto;
  @ApiPropertyOptional({ type: [String], description: 'only with the first confirmed factor; shown once' }) recoveryCodes?: string[];
}
