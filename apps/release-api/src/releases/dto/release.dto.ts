import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsISO8601, IsOptional, IsString, IsUrl, Matches, MaxLength, ValidateIf } from 'class-validator';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

export class CreateReleaseDto {
  @ApiProperty({ example: '14.3.0', description: 'A semver version.' })
  @IsString()
  @MaxLength(256)
  version!: string;

  @ApiProperty({ example: 'stable', description: 'One of RELEASE_CHANNELS.' })
  @IsString()
  @Matches(NAME)
  channel!: string;

  @ApiPropertyOptional({ type: [String], example: ['community', 'enterprise'], description: 'Empty or absent: every edition.' })
  @IsOptional()
  @IsArray()
  @Matches(NAME, { each: true })
  editions?: string[];

  @ApiProperty({ example: '2026-11-20T00:00:00Z' })
  @IsISO8601({ strict: true })
  releasedAt!: string;

  @ApiPropertyOptional({ example: 'https://keyhaven.example/releases/14.3.0', nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2048)
  notesUrl?: string | null;

  @ApiPropertyOptional({ example: '2027-11-20T00:00:00Z', nullable: true, description: 'End of life; null = not announced.' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsISO8601({ strict: true })
  supportedUntil?: string | null;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  security?: boolean;

  @ApiPropertyOptional({ example: '>=13.4.0', nullable: true, description: 'The semver range of versions that may upgrade straight to this one.' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(1024)
  upgradeFrom?: string | null;
}

export class UpdateReleaseDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(NAME)
  channel?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @Matches(NAME, { each: true })
  editions?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true })
  releasedAt?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2048)
  notesUrl?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsISO8601({ strict: true })
  supportedUntil?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  security?: boolean;

  @ApiPropertyOptional({ description: 'true hides the release from checks (a broken release).' })
  @IsOptional()
  @IsBoolean()
  yanked?: boolean;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(1024)
  upgradeFrom?: string | null;
}

export class ListReleasesQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(NAME)
  channel?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(NAME)
  edition?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'true' })
  @IsOptional()
  @Matches(/^(true|false)$/)
  includeYanked?: string;
}
