import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Clock } from '@keyhaven/config';
import { buildRecords } from '@keyhaven/database';
import { RECORDS_ROUTE_DESCRIPTION, sendRecords } from '@keyhaven/http';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { releaseDataInventory } from './release-data-inventory';

@ApiTags('privacy')
@Controller('v1/privacy')
export class PrivacyController {
  constructor(
    private readonly clock: Clock,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  @Get('records')
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({ description: RECORDS_ROUTE_DESCRIPTION })
  records(@Headers('accept') accept: string | undefined, @Res() reply: FastifyReply) {
    const records = buildRecords(releaseDataInventory(this.config), this.clock.now());
    sendRecords(reply, records, accept);
  }
}
