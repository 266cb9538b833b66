import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { Omittable } from '@keyhaven/errors';

export class CheckQueryDto {
  @ApiPropertyOptional({ example: '13.1.0', description: 'The installed version (semver; required).' })
  @Omittable()
  @IsString()
  @MaxLength(256)
  version?: string;

  @ApiPropertyOptional({ example: 'stable', description: 'The channel the installation follows (RELEASE_CHANNELS); default stable.' })
  @Omittable()
  @IsString()
  @MaxLength(64)
  channel?: string;

  @ApiPropertyOptional({ example: 'community', description: 'The edition (RELEASE_EDITIONS); default the first.' })
  @Omittable()
  @IsString()
  @MaxLength(64)
  edition?: string;

  @ApiPropertyOptional({ example: 'production', description: 'The environment, for maintenance windows; default production.' })
  @Omittable()
  @IsString()
  @MaxLength(64)
  environment?: string;
}
