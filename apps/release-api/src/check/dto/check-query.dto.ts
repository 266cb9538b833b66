import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class CheckQueryDto {
  @ApiPropertyOptional({ example: '13.1.0', description: 'The installed version (semver; required).' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  version?: string;

  @ApiPropertyOptional({ example: 'stable', description: 'The channel the installation follows (RELEASE_CHANNELS); default stable.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  channel?: string;

  @ApiPropertyOptional({ example: 'community', description: 'The edition (RELEASE_EDITIONS); default the first.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  edition?: string;

  @ApiPropertyOptional({ example: 'production', description: 'The environment, for maintenance windows; default production.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  environment?: string;
}
