import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { HasText, Omittable } from '@keyhaven/errors';
import { AcceptsForm } from '@keyhaven/http';
import { Client, ClientInfo } from '../common/request-context';
import { AUTH_CONFIG, AuthConfig } from '../config/auth.config';
import { Authenticated, CurrentUser, Roles, StepUp } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { sendCancelPage } from './cancel-page';
import { DeletionService } from './deletion.service';
import { ErasureService } from './erasure.service';
import { ExportService } from './export.service';
import { ApiErrors } from '../app/auth-errors';

class EraseAccountDto {
  @ApiProperty({ example: 'Art. 17 request by letter of 2026-03-01, identity checked (ticket 4712)' })
  @IsString()
  @MaxLength(500)
  @HasText()
  @Matches(/\S{3,}/, { message: 'reason must say why' })
  reason!: string;
}

class ErasureFeedQuery {
  @ApiPropertyOptional({ description: 'The `next` cursor of the previous page.' })
  @Omittable()
  @IsString()
  @MaxLength(200)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 500 })
  @Omittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

@ApiTags('your data')
@Controller('v1')
export class DataRightsController {
  constructor(
    private readonly exports: ExportService,
    private readonly deletion: DeletionService,
    private readonly erasure: ErasureService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  @Get('me/export')
  @Authenticated()
  @StepUp()
  @ApiOkResponse({ description: 'A JSON attachment (`keyhaven.export/v1`) of everything stored about the caller; once an hour; audited (`data_exported`).' })
  @ApiErrors({ code: 'too_many_exports', when: 'more than once an hour (with Retry-After)' })
  async export(@CurrentUser() user: TokenClaims, @Client() client: ClientInfo, @Res() reply: FastifyReply) {
    const document = await this.exports.export(user.sub, `${this.config.issuer.replace(/\/$/, '')}/v1/privacy/records`, client);
    void reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="keyhaven-export-${String(document['exportedAt']).slice(0, 10)}.json"`)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(document, null, 2));
  }

  @Delete('me')
  @HttpCode(202)
  @Authenticated()
  @StepUp()
  @ApiAcceptedResponse({
    description:
      '`{erasureScheduledAt}`: the account closes now (sessions revoked, no sign-in) and is erased after AUTH_DELETION_GRACE; a mail carries the cancel link.',
  })
  @ApiErrors('deletion_already_scheduled', 'last_admin')
  deleteMe(@CurrentUser() user: TokenClaims, @Client() client: ClientInfo) {
    return this.deletion.schedule(user.sub, client);
  }

  @Get('deletion/cancel')
  @ApiOkResponse({ description: 'Public, the link in the deletion mail: a page that asks (changes nothing).' })
  @ApiErrors({ code: 'link_not_found', when: 'a link that is forged, expired or used' })
  async cancelPage(@Query('token') token: unknown, @Res() reply: FastifyReply) {
    const link = await this.deletion.checkLink(token);
    sendCancelPage(reply, { kind: 'confirm', token: String(token), scheduledAt: link.scheduledAt });
  }

  @Post('deletion/cancel')
  @HttpCode(200)
  @AcceptsForm()
  @ApiOkResponse({ description: "Public: cancels the deletion the signed link names (the page's button)." })
  @ApiErrors({ code: 'link_not_found', when: 'a link that is forged, expired or used' })
  async cancel(@Query('token') token: unknown, @Client() client: ClientInfo, @Res() reply: FastifyReply) {
    await this.deletion.cancel(token, client);
    sendCancelPage(reply, { kind: 'done' });
  }

  @Post('admin/accounts/:id/erase')
  @HttpCode(200)
  @Authenticated()
  @Roles('admin')
  @StepUp()
  @ApiOkResponse({ description: '`{accountId, erasedAt, securityEventsKept}`: erased at once, audited with the reason, the user is mailed.' })
  @ApiErrors('account_not_found', 'last_admin')
  erase(@CurrentUser() admin: TokenClaims, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: EraseAccountDto, @Client() client: ClientInfo) {
    return this.erasure.eraseByAdmin(admin.sub, id, body.reason.trim(), client);
  }

  @Get('privacy/erasures')
  @ApiOkResponse({
    description:
      'Public feed of erasures (`{erasures:[{accountId, erasedAt}], next}`, oldest first): account ids are random pseudonyms; other services (release-api) replace what they keep about those accounts.',
  })
  erasures(@Query() query: ErasureFeedQuery) {
    return this.erasure.feed(query.after, query.limit ?? 500);
  }
}
