import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '@keyhaven/auth-guard';
import { AcceptsForm } from '@keyhaven/http';
import { actorOf, OpsOnly } from '../app/ops-only.decorator';
import { DeliveriesService } from './deliveries.service';
import { CreateSubscriptionDto, ListDeliveriesQueryDto, RemoveSubscriptionQuery } from './dto/subscription.dto';
import { SubscriptionsService } from './subscriptions.service';
import { sendUnsubscribePage } from './unsubscribe-page';
import { ApiErrors } from '../app/release-errors';

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
  @ApiNoContentResponse({
    description:
      'Removed (soft: deliveries keep their history for MAINTENANCE_RETENTION); with `?erase=true` the subscriber and its delivery history are erased at once (GDPR).',
  })
  @ApiErrors('subscription_not_found')
  remove(@Param('id') id: string, @Query() query: RemoveSubscriptionQuery, @CurrentUser() user: AuthenticatedUser) {
    return this.subscriptions.remove(id, actorOf(user), query.erase === 'true');
  }

  @Get('subscriptions/:id/data')
  @ApiOkResponse({
    description: 'Public, from the link in notice emails: what is stored about this subscription (address, time zone, environments, delivery history) as JSON.',
  })
  @ApiErrors({ code: 'subscription_not_found', when: 'a link that does not verify' })
  async data(@Param('id') id: string, @Query('token') token: unknown, @Res() reply: FastifyReply) {
    const document = await this.subscriptions.dataOf(id, typeof token === 'string' ? token : undefined);
    void reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(JSON.stringify(document, null, 2));
  }

  @Get('subscriptions/:id/unsubscribe')
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'Public, from the link in notice emails: a page that asks (changes nothing).' })
  @ApiErrors({ code: 'subscription_not_found', when: 'a link that does not verify' })
  async unsubscribePage(@Param('id') id: string, @Query('token') token: unknown, @Res() reply: FastifyReply) {
    const given = typeof token === 'string' ? token : undefined;
    await this.subscriptions.checkUnsubscribeLink(id, given);
    sendUnsubscribePage(reply, { kind: 'confirm', token: given ?? '' });
  }

  @Post('subscriptions/:id/unsubscribe')
  @HttpCode(200)
  @AcceptsForm()
  @ApiProduces('text/html')
  @ApiOkResponse({ description: "Public: removes the subscription of a signed link — the page's button and RFC 8058 one-click unsubscribe. Idempotent." })
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
  @ApiOkResponse({ description: 'The delivery, pending again with the same id.' })
  @ApiErrors('delivery_pending')
  replay(@Param('id') id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.deliveries.replay(id, actorOf(user));
  }
}
