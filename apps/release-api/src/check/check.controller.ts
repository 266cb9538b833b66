import { Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@keyhaven/auth-guard';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { actorOf, OpsOnly } from '../app/ops-only.decorator';
import { ResponseSigner } from '../signing/response-signer';
import { CheckService, HttpAnswer } from './check.service';
import { CheckQueryDto } from './dto/check-query.dto';
import { ApiErrors } from '../app/release-errors';

/** Sends the exact signed bytes: letting a serializer re-encode them would break the signature. */
function send(reply: FastifyReply, answer: HttpAnswer): void {
  void reply.status(answer.statusCode).headers(answer.headers).send(answer.body);
}

@ApiTags('check')
@Controller('v1')
export class CheckController {
  constructor(
    private readonly checks: CheckService,
    private readonly signer: ResponseSigner,
  ) {}

  @Get('check')
  @ApiOkResponse({ description: 'The signed check answer (see docs/release-api.md); header Keyhaven-Signature.' })
  @ApiErrors({ code: 'invalid_version', when: 'no version, or one that is not semver' })
  async check(@Query() query: CheckQueryDto, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply) {
    send(reply, await this.checks.respond(query, ifNoneMatch));
  }

  @Get('check.svg')
  @ApiProduces('image/svg+xml')
  async badge(@Query() query: CheckQueryDto, @Res() reply: FastifyReply) {
    send(reply, await this.checks.badge(query));
  }

  @Get('keys')
  @ApiOkResponse({ description: 'The Ed25519 response-signing public keys as a JWK set; the signing key first.' })
  keys() {
    return this.signer.publicKeys();
  }

  @Post('keys/rotate')
  @HttpCode(201)
  @OpsOnly()
  @ApiOkResponse({
    description:
      'Generated keys only: a new key signs from now on (cached answers are dropped on every replica); the old one stays in /v1/keys while answers it signed are valid. Audited.',
  })
  rotate(@CurrentUser() user: AuthenticatedUser) {
    return this.signer.rotate(actorOf(user));
  }
}
