import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

/**
 * ISO 8601 with a zone designator: `Z` or `±hh:mm`. A time without one would have to be guessed
 * as some zone; refusing it keeps "22:00" from meaning different instants to ops and service.
 */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const OFFSET_MESSAGE = '$property must be an ISO 8601 time with Z or an offset, e.g. 2026-12-05T22:00:00Z';
const ENVIRONMENT = /^[a-z0-9][a-z0-9-]{0,31}$/;

export class CreateWindowDto {
  @ApiProperty({ example: 'Database upgrade' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title!: string;

  @ApiPropertyOptional({ example: 'PostgreSQL 17; the API is read-only meanwhile.', default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiProperty({ example: '2026-12-05T22:00:00Z', description: 'ISO 8601 with Z or an offset (no offset → 400).' })
  @IsISO8601({ strict: true })
  @Matches(WITH_OFFSET, { message: OFFSET_MESSAGE })
  startsAt!: string;

  @ApiProperty({ example: '2026-12-05T23:30:00Z' })
  @IsISO8601({ strict: true })
  @Matches(WITH_OFFSET, { message: OFFSET_MESSAGE })
  endsAt!: string;

  @ApiPropertyOptional({ type: [String], example: ['production'], description: 'Empty or absent: all environments.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ENVIRONMENT, { each: true })
  environments?: string[];

  @ApiPropertyOptional({ example: 'Actively exploited vulnerability in the TLS terminator', description: 'Allows a start inside the notice lead; announced at once.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  emergencyReason?: string;
}

export class UpdateWindowDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiPropertyOptional({ example: '2026-12-06T22:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(WITH_OFFSET, { message: OFFSET_MESSAGE })
  startsAt?: string;

  @ApiPropertyOptional({ example: '2026-12-06T23:30:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(WITH_OFFSET, { message: OFFSET_MESSAGE })
  endsAt?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ENVIRONMENT, { each: true })
  environments?: string[];

  @ApiPropertyOptional({ description: 'Needed when the new start lies inside the notice lead.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  emergencyReason?: string;
}

export class CancelWindowDto {
  @ApiPropertyOptional({ example: 'Vendor postponed the fix' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

export class ListWindowsQueryDto {
  @ApiPropertyOptional({ example: 'production', description: 'Only windows affecting this environment.' })
  @IsOptional()
  @Matches(ENVIRONMENT)
  environment?: string;

  @ApiPropertyOptional({ default: false, description: 'Also completed and cancelled windows (newest first, at most 500).' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : (value as unknown)))
  @IsBoolean()
  includePast?: boolean;
}
