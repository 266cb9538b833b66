import type { FastifyReply } from 'fastify';
import { prefersHtml, RECORDS_PAGE_CSP, RecordsOfProcessing, renderRecordsPage } from '@keyhaven/database';

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
