import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Clock } from '@keyhaven/config';
import { buildRecords, type DataInventory, prefersHtml, RECORDS_PAGE_CSP, RecordsOfProcessing, renderRecordsPage } from '@keyhaven/database';

/**
 * `GET /v1/privacy/records` of either service: JSON for API clients, the readable page (no
 * script, its own CSP) for a browser that asks for HTML. Public and cacheable for a few minutes.
 */
export function sendRecords(reply: FastifyReply, records: RecordsOfProcessing, accept: string | undefined): void {
  void reply.header('cache-control', 'public, max-age=300').header('vary', 'accept');
  if (prefersHtml(accept)) {
    void reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', RECORDS_PAGE_CSP).send(renderRecordsPage(records));
    return;
  }
  void reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(records));
}

/** The OpenAPI description both services give the route. */
export const RECORDS_ROUTE_DESCRIPTION =
  'Public: the records of processing (GDPR Art. 30) built from the running configuration — per activity its purpose, legal basis, data subjects, data categories with their tables and fields, retention and the setting that controls it, recipients, transfers, backups. A browser (`Accept: text/html`) gets a readable page.';

/**
 * The service's data inventory, built from its running configuration: what PrivacyRecordsController
 * publishes. Each service provides it, e.g.
 * `{ provide: DATA_INVENTORY, useFactory: authDataInventory, inject: [AUTH_CONFIG] }`.
 */
export const DATA_INVENTORY = Symbol('DATA_INVENTORY');

/** `GET /v1/privacy/records` of either service, from the inventory it provides (DATA_INVENTORY). */
@ApiTags('privacy')
@Controller('v1/privacy')
export class PrivacyRecordsController {
  constructor(
    private readonly clock: Clock,
    @Inject(DATA_INVENTORY) private readonly inventory: DataInventory,
  ) {}

  @Get('records')
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({ description: RECORDS_ROUTE_DESCRIPTION })
  records(@Headers('accept') accept: string | undefined, @Res() reply: FastifyReply): void {
    sendRecords(reply, buildRecords(this.inventory, this.clock.now()), accept);
  }
}
