import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsObject, IsString, MaxLength } from 'class-validator';
import { HasText, Omittable } from '@keyhaven/errors';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { CURRENT_PASSWORD_DOC } from '../../factors/dto/factors.dto';

export class WebAuthnRegistrationOptionsDto {
  @ApiPropertyOptional({ description: 'true: a passkey (discoverable, user verification required) that can sign in without a password' })
  @Omittable()
  @IsBoolean()
  passkey?: boolean;

  @ApiPropertyOptional(CURRENT_PASSWORD_DOC)
  @Omittable()
  @IsString()
  @MaxLength(1024)
  currentPassword?: string;
}

export class WebAuthnRegistrationDto {
  @ApiProperty({ example: 'YubiKey 5C', description: 'A name to tell your keys apart' })
  @IsString()
  @HasText()
  @MaxLength(64)
  name!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'RegistrationResponseJSON (what @simplewebauthn/browser startRegistration answers)' })
  @IsObject()
  response!: RegistrationResponseJSON;
}

export class WebAuthnAssertionDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'AuthenticationResponseJSON (what @simplewebauthn/browser startAuthentication answers)',
  })
  @IsObject()
  response!: AuthenticationResponseJSON;
}
