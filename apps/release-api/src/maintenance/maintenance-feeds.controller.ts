import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { FeedsService } from './feeds.service';
import { ApiErrors } from '../app/release-errors';

@ApiTags('maintenance')
@Controller('v1')
export class MaintenanceFeedsController {
  constructor(private readonly feeds: FeedsService) {}

  @Get('maintenance.ics')
  @ApiProduces('text/calendar')
  @ApiOkResponse({ description: 'iCalendar feed: stable UIDs, SEQUENCE per change, STATUS:CANCELLED.' })
  async ics(@Res() reply: FastifyReply) {
    void reply
      .header('content-type', 'text/calendar; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(await this.feeds.ics());
  }

  @Get('maintenance-windows/:id/event.ics')
  @ApiProduces('text/calendar')
  @ApiOkResponse({ description: 'One window as an iCalendar event (the link in notice emails).' })
  @ApiErrors('maintenance_window_not_found')
  async windowIcs(@Param('id') id: string, @Res() reply: FastifyReply) {
    void reply
      .header('content-type', 'text/calendar; charset=utf-8')
      .header('content-disposition', 'inline; filename="maintenance.ics"')
      .header('cache-control', 'public, max-age=300')
      .send(await this.feeds.windowIcs(id));
  }

  @Get('maintenance.atom')
  @ApiProduces('application/atom+xml')
  @ApiOkResponse({ description: 'Atom feed of the same windows.' })
  async atom(@Res() reply: FastifyReply) {
    void reply
      .header('content-type', 'application/atom+xml; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(await this.feeds.atom());
  }
}
