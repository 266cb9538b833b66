import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Clock } from '@keyhaven/config';
import { buildRecords, prefersHtml, RECORDS_PAGE_CSP, renderRecordsPage } from '@keyhaven/database';
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
  @ApiOkResponse({
    description:
      'Public: the records of processing (GDPR Art. 30) built from the running configuration — per activity its purpose, legal basis, data subjects, data categories with their tables and fields, retention and the setting that controls it, recipients, transfers, backups. A browser (`Accept: text/html`) gets a readable page.',
  })
  records(@Headers('accept') accept: string | undefined, @Res() reply: FastifyReply) {
    const records = buildRecords(releaseDataInventory(this.config), this.clock.now());
    void reply.header('cache-control', 'public, max-age=300').header('vary', 'accept');
    if (prefersHtml(accept)) {
      void reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', RECORDS_PAGE_CSP).send(renderRecordsPage(records));
      return;
    }
    void reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(records));
  }
}
