import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiProduces, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '@keyhaven/auth-guard';
import { AcceptsForm } from '@keyhaven/http';
import { actorOf, OpsOnly } from '../app/ops-only.decorator';
import { DeliveriesService } from './deliveries.service';
import { CreateSubscriptionDto, ListDeliveriesQueryDto, RemoveSubscriptionQuery } from './dto/subscription.dto';
import { CancelWindowDto, CreateWindowDto, ListWindowsQueryDto, UpdateWindowDto } from './dto/window.dto';
import { FeedsService } from './feeds.service';
import { SubscriptionsService } from './subscriptions.service';
import { sendUnsubscribePage } from './unsubscribe-page';
import { WindowsService } from './windows.service';

@ApiTags('maintenance')
@Controller('v1')
export class MaintenanceWindowsController {
  constructor(private readonly windows: WindowsService) {}

  @Get('maintenance-windows')
  @ApiOkResponse({ description: '`{ windows: [...] }` upcoming and running windows, soonest first.' })
  list(@Query() query: ListWindowsQueryDto) {
    return this.windows.list(query);
  }

  @Get('maintenance-windows/:id')
  @ApiOkResponse({ description: 'One window; 404 `maintenance_window_not_found`.' })
  get(@Param('id') id: string) {
    return this.windows.get(id);
  }

  @Post('maintenance-windows')
  @OpsOnly()
  @ApiCreatedResponse({ description: 'The window; its notices are planned.' })
  @ApiUnprocessableEntityResponse({ description: '`notice_too_short`: inside the notice lead without emergencyReason.' })
  create(@Body() dto: CreateWindowDto, @CurrentUser() user: AuthenticatedUser) {
    return this.windows.create(dto, actorOf(user));
  }

  @Patch('maintenance-windows/:id')
  @OpsOnly()
  @ApiOkResponse({ description: 'The window; announced windows notify `maintenance.rescheduled`; 409 `window_closed`.' })
  update(@Param('id') id: string, @Body() dto: UpdateWindowDto, @CurrentUser() user: AuthenticatedUser) {
    return this.windows.update(id, dto, actorOf(user));
  }

  @Post('maintenance-windows/:id/cancel')
  @HttpCode(200)
  @OpsOnly()
  @ApiOkResponse({ description: 'The cancelled window; announced windows notify `maintenance.cancelled`.' })
  cancel(@Param('id') id: string, @Body() dto: CancelWindowDto, @CurrentUser() user: AuthenticatedUser) {
    return this.windows.cancel(id, dto ?? {}, actorOf(user));
  }
}

@ApiTags('maintenance')
@Controller('v1')
export class MaintenanceFeedsController {
  constructor(private readonly feeds: FeedsService) {}

  @Get('maintenance.ics')
  @ApiProduces('text/calendar')
  @ApiOkResponse({ description: 'iCalendar feed: stable UIDs, SEQUENCE per change, STATUS:CANCELLED.' })
  async ics(@Res() reply: FastifyReply) {
    void reply.header('content-type', 'text/calendar; charset=utf-8').header('cache-control', 'public, max-age=300').send(await this.feeds.ics());
  }

  @Get('maintenance-windows/:id/event.ics')
  @ApiProduces('text/calendar')
  @ApiOkResponse({ description: 'One window as an iCalendar event (the link in notice emails); 404 `maintenance_window_not_found`.' })
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
    void reply.header('content-type', 'application/atom+xml; charset=utf-8').header('cache-control', 'public, max-age=300').send(await this.feeds.atom());
  }
}

@ApiTags('maintenance')
@Controller('v1')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly deliveries: DeliveriesService,
  ) {}

  @Post('subscriptions')
  @OpsOnly()
  @ApiCreatedResponse({ description: 'The subscription (the webhook secret is never returned).' })
  create(@Body() dto: CreateSubscriptionDto, @CurrentUser() user: AuthenticatedUser) {
    return this.subscriptions.create(dto, actorOf(user));
  }

  @Get('subscriptions')
  @OpsOnly()
  @ApiOkResponse({ description: '`{ subscriptions: [...] }` the active subscriptions.' })
  list() {
    return this.subscriptions.list();
  }

  @Delete('subscriptions/:id')
  @HttpCode(204)
  @OpsOnly()
  @ApiNoContentResponse({ description: 'Removed (soft: deliveries keep their history for MAINTENANCE_RETENTION); with `?erase=true` the subscriber and its delivery history are erased at once (GDPR). 404 `subscription_not_found`.' })
  remove(@Param('id') id: string, @Query() query: RemoveSubscriptionQuery, @CurrentUser() user: AuthenticatedUser) {
    return this.subscriptions.remove(id, actorOf(user), query.erase === 'true');
  }

  @Get('subscriptions/:id/data')
  @ApiOkResponse({ description: 'Public, from the link in notice emails: what is stored about this subscription (address, time zone, environments, delivery history) as JSON; 404 `subscription_not_found` for a link that does not verify.' })
  async data(@Param('id') id: string, @Query('token') token: unknown, @Res() reply: FastifyReply) {
    const document = await this.subscriptions.dataOf(id, typeof token === 'string' ? token : undefined);
    void reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send(JSON.stringify(document, null, 2));
  }

  @Get('subscriptions/:id/unsubscribe')
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'Public, from the link in notice emails: a page that asks (changes nothing); 404 `subscription_not_found` for a link that does not verify.' })
  async unsubscribePage(@Param('id') id: string, @Query('token') token: unknown, @Res() reply: FastifyReply) {
    const given = typeof token === 'string' ? token : undefined;
    await this.subscriptions.checkUnsubscribeLink(id, given);
    sendUnsubscribePage(reply, { kind: 'confirm', token: given ?? '' });
  }

  @Post('subscriptions/:id/unsubscribe')
  @HttpCode(200)
  @AcceptsForm()
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'Public: removes the subscription of a signed link — the page\'s button and RFC 8058 one-click unsubscribe. Idempotent.' })
  async unsubscribe(@Param('id') id: string, @Query('token') token: unknown, @Res() reply: FastifyReply) {
    await this.subscriptions.unsubscribe(id, typeof token === 'string' ? token : undefined);
    sendUnsubscribePage(reply, { kind: 'done' });
  }

  @Get('deliveries')
  @OpsOnly()
  @ApiOkResponse({ description: '`{ deliveries: [...] }` newest first; `state=dead` is the dead-letter list.' })
  listDeliveries(@Query() query: ListDeliveriesQueryDto) {
    return this.deliveries.list(query);
  }

  @Post('deliveries/:id/replay')
  @HttpCode(202)
  @OpsOnly()
  @ApiOkResponse({ description: 'The delivery, pending again with the same id; 409 `delivery_pending`.' })
  replay(@Param('id') id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.deliveries.replay(id, actorOf(user));
  }
}
