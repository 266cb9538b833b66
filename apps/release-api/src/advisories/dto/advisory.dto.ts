import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsString, IsUrl, MaxLength, MinLength, ValidateIf, ValidateNested } from 'class-validator';
import { HasText, IsInstant, Omittable } from '@keyhaven/errors';

export class AffectedRangeDto {
  @ApiProperty({ example: '13.0.0', description: 'First affected version (inclusive); "0" = since the first version.' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  introduced!: string;

  @ApiPropertyOptional({
    example: '13.4.2',
    description: 'First fixed version (exclusive end). Leave it out when there is no fix; "" is refused (it would read as "affected forever").',
  })
  @Omittable()
  @IsString()
  @MinLength(1, { message: 'fixed must be a version; leave it out when there is no fix yet' })
  @MaxLength(256)
  fixed?: string;

  @ApiPropertyOptional({ example: '14.0.0', description: 'Last affected version (inclusive end), when no fix exists yet.' })
  @Omittable()
  @IsString()
  @MinLength(1, { message: 'lastAffected must be a version; leave it out when it is not known' })
  @MaxLength(256)
  lastAffected?: string;
}

export class SeverityDto {
  @ApiProperty({ example: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', description: 'A CVSS v3.1 or v4.0 base vector; the score and level are computed.' })
  @IsString()
  @MaxLength(512)
  vector!: string;
}

export class CreateAdvisoryDto {
  @ApiPropertyOptional({ example: 'KHSA-2026-0010', description: 'Generated when left out.' })
  @Omittable()
  @IsString()
  @MaxLength(100)
  id?: string;

  @ApiPropertyOptional({ type: [String], example: ['CVE-2026-40001'] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  aliases?: string[];

  @ApiProperty({ example: 'Stored XSS in the admin audit view' })
  @IsString()
  @HasText()
  @MaxLength(300)
  title!: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(20_000)
  summary?: string;

  @ApiPropertyOptional({ type: SeverityDto, nullable: true })
  @Omittable()
  @ValidateIf((_o, v) => v !== null)
  @ValidateNested()
  @Type(() => SeverityDto)
  severity?: SeverityDto | null;

  @ApiPropertyOptional({ default: false })
  @Omittable()
  @IsBoolean()
  knownExploited?: boolean;

  @ApiProperty({ type: [AffectedRangeDto] })
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => AffectedRangeDto)
  affected!: AffectedRangeDto[];

  @ApiPropertyOptional({ type: [String], example: ['13.4.2', '14.2.1'], description: 'Fixed version per branch; defaults to the fixed events.' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  fixedIn?: string[];

  @ApiPropertyOptional({ nullable: true })
  @Omittable()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2048)
  url?: string | null;

  @ApiPropertyOptional({ example: '2026-11-20T00:00:00Z' })
  @Omittable()
  @IsInstant()
  publishedAt?: string;
}

/** Any field of an advisory but its id and publication date; each one optional. */
// skipNullProperties: false — the fields keep validating `null` (a NOT NULL column would get it otherwise).
export class UpdateAdvisoryDto extends PartialType(OmitType(CreateAdvisoryDto, ['id', 'publishedAt'] as const), { skipNullProperties: false }) {
  @ApiPropertyOptional({ description: 'true withdraws the advisory (checks stop reporting it); false restores it.' })
  @Omittable()
  @IsBoolean()
  withdrawn?: boolean;
}

export class ListAdvisoriesQuery {
  @ApiPropertyOptional({ example: '13.1.0', description: 'Only advisories affecting this version.' })
  @Omittable()
  @IsString()
  @MaxLength(256)
  version?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false' })
  @Omittable()
  @IsString()
  includeWithdrawn?: string;
}
