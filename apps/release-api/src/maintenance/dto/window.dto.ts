import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsString, Matches, MaxLength } from 'class-validator';
import { HasText, IsInstant, Omittable } from '@keyhaven/errors';

const ENVIRONMENT = /^[a-z0-9][a-z0-9-]{0,31}$/;

export class CreateWindowDto {
  @ApiProperty({ example: 'Database upgrade' })
  @IsString()
  @HasText()
  @MaxLength(200)
  title!: string;

  @ApiPropertyOptional({ example: 'PostgreSQL 17; the API is read-only meanwhile.', default: '' })
  @Omittable()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiProperty({ example: '2026-12-05T22:00:00Z', description: 'ISO 8601 with Z or an offset (no offset → 400).' })
  @IsInstant()
  startsAt!: string;

  @ApiProperty({ example: '2026-12-05T23:30:00Z' })
  @IsInstant()
  endsAt!: string;

  @ApiPropertyOptional({ type: [String], example: ['production'], description: 'Empty or absent: all environments.' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ENVIRONMENT, { each: true })
  environments?: string[];

  @ApiPropertyOptional({
    example: 'Actively exploited vulnerability in the TLS terminator',
    description: 'Allows a start inside the notice lead; announced at once.',
  })
  @Omittable()
  @IsString()
  @HasText()
  @MaxLength(1000)
  emergencyReason?: string;
}

export class UpdateWindowDto {
  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @HasText()
  @MaxLength(200)
  title?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiPropertyOptional({ example: '2026-12-06T22:00:00Z' })
  @Omittable()
  @IsInstant()
  startsAt?: string;

  @ApiPropertyOptional({ example: '2026-12-06T23:30:00Z' })
  @Omittable()
  @IsInstant()
  endsAt?: string;

  @ApiPropertyOptional({ type: [String] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ENVIRONMENT, { each: true })
  environments?: string[];

  @ApiPropertyOptional({ description: 'Needed when the new start lies inside the notice lead.' })
  @Omittable()
  @IsString()
  @HasText()
  @MaxLength(1000)
  emergencyReason?: string;
}

export class CancelWindowDto {
  @ApiPropertyOptional({ example: 'Vendor postponed the fix' })
  @Omittable()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

export class ListWindowsQueryDto {
  @ApiPropertyOptional({ example: 'production', description: 'Only windows affecting this environment.' })
  @Omittable()
  @Matches(ENVIRONMENT)
  environment?: string;

  @ApiPropertyOptional({ default: false, description: 'Also completed and cancelled windows (newest first, at most 500).' })
  @Omittable()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : (value as unknown)))
  @IsBoolean()
  includePast?: boolean;
}
