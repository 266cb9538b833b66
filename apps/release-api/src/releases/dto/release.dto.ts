import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsString, IsUrl, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsInstant, Omittable } from '@keyhaven/errors';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

export class CreateReleaseDto {
  @ApiProperty({ example: '14.3.0', description: 'A semver version (no spaces or control characters; otherwise 400 invalid_version).' })
  @IsString()
  @MaxLength(256)
  version!: string;

  @ApiProperty({ example: 'stable', description: 'One of RELEASE_CHANNELS.' })
  @IsString()
  @Matches(NAME)
  channel!: string;

  @ApiPropertyOptional({ type: [String], example: ['community', 'enterprise'], description: 'Empty or absent: every edition.' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(NAME, { each: true })
  editions?: string[];

  @ApiProperty({ example: '2026-11-20T00:00:00Z', description: 'ISO 8601 with Z or an offset (no offset → 400).' })
  @IsInstant()
  releasedAt!: string;

  @ApiPropertyOptional({ example: 'https://keyhaven.example/releases/14.3.0', nullable: true })
  @Omittable()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2048)
  notesUrl?: string | null;

  @ApiPropertyOptional({ example: '2027-11-20T00:00:00Z', nullable: true, description: 'End of life; null = not announced.' })
  @Omittable()
  @ValidateIf((_o, v) => v !== null)
  @IsInstant()
  supportedUntil?: string | null;

  @ApiPropertyOptional({ default: false })
  @Omittable()
  @IsBoolean()
  security?: boolean;

  @ApiPropertyOptional({ example: '>=13.4.0', nullable: true, description: 'The semver range of versions that may upgrade straight to this one.' })
  @Omittable()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(1024)
  upgradeFrom?: string | null;
}

export class UpdateReleaseDto {
  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @Matches(NAME)
  channel?: string;

  @ApiPropertyOptional({ type: [String] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(NAME, { each: true })
  editions?: string[];

  @ApiPropertyOptional()
  @Omittable()
  @IsInstant()
  releasedAt?: string;

  @ApiPropertyOptional({ nullable: true })
  @Omittable()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2048)
  notesUrl?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @Omittable()
  @ValidateIf((_o, v) => v !== null)
  @IsInstant()
  supportedUntil?: string | null;

  @ApiPropertyOptional()
  @Omittable()
  @IsBoolean()
  security?: boolean;

  @ApiPropertyOptional({ description: 'true hides the release from checks (a broken release).' })
  @Omittable()
  @IsBoolean()
  yanked?: boolean;

  @ApiPropertyOptional({ nullable: true })
  @Omittable()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(1024)
  upgradeFrom?: string | null;
}

export class ListReleasesQuery {
  @ApiPropertyOptional()
  @Omittable()
  @Matches(NAME)
  channel?: string;

  @ApiPropertyOptional()
  @Omittable()
  @Matches(NAME)
  edition?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'true' })
  @Omittable()
  @Matches(/^(true|false)$/)
  includeYanked?: string;
}
