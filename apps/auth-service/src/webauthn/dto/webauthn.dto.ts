import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

export class WebAuthnRegistrationOptionsDto {
  @ApiPropertyOptional({ description: 'true: a passkey (discoverable, user verification required) that can sign in without a password' })
  @IsOptional()
  @IsBoolean()
  passkey?: boolean;
}

export class WebAuthnRegistrationDto {
  @ApiProperty({ example: 'YubiKey 5C', description: 'A name to tell your keys apart' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'RegistrationResponseJSON (what @simplewebauthn/browser startRegistration answers)' })
  @IsObject()
  response!: RegistrationResponseJSON;
}

export class WebAuthnAssertionDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'AuthenticationResponseJSON (what @simplewebauthn/browser startAuthentication answers)' })
  @IsObject()
  response!: AuthenticationResponseJSON;
}
