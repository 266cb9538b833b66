import { Controller, Get, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsCalendarDay, Omittable } from '@keyhaven/errors';
import { OpsOnly } from '../app/ops-only.decorator';
import { StatsService } from './stats.service';

export class StatsQuery {
  @ApiPropertyOptional({ example: '2026-11-01' })
  @Omittable()
  @IsCalendarDay()
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-27' })
  @Omittable()
  @IsCalendarDay()
  to?: string;
}

@ApiTags('stats')
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('versions')
  @OpsOnly()
  versions(@Query() query: StatsQuery) {
    return this.stats.versions(query.from, query.to);
  }
}
