import { Controller, Get, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { OpsOnly } from '../app/ops-only.decorator';
import { StatsService } from './stats.service';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class StatsQuery {
  @ApiPropertyOptional({ example: '2026-11-01' })
  @IsOptional()
  @Matches(DAY, { message: 'from must be a day, YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-27' })
  @IsOptional()
  @Matches(DAY, { message: 'to must be a day, YYYY-MM-DD' })
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
