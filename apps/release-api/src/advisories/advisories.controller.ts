import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser } from '@keyhaven/auth-guard';
import { JsonLimits } from '@keyhaven/http';
import { actorOf, OpsOnly } from '../app/ops-only.decorator';
import { AdvisoriesService } from './advisories.service';
import { CreateAdvisoryDto, ListAdvisoriesQuery, UpdateAdvisoryDto } from './dto/advisory.dto';
import { ApiErrors } from '../app/release-errors';

@ApiTags('advisories')
@Controller('v1/advisories')
export class AdvisoriesController {
  constructor(private readonly advisories: AdvisoriesService) {}

  @Get()
  @ApiErrors({ code: 'invalid_version', when: '?version= is not a semver version' })
  list(@Query() query: ListAdvisoriesQuery) {
    return this.advisories.list(query);
  }

  /** `:id` or `:id.osv.json` (the OSV export). */
  @Get(':id')
  @ApiErrors('advisory_not_found')
  get(@Param('id') id: string) {
    return this.advisories.get(id);
  }

  @Post()
  @HttpCode(201)
  @OpsOnly()
  @ApiErrors('invalid_range', 'invalid_cvss', 'validation_failed', 'advisory_exists')
  create(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateAdvisoryDto) {
    return this.advisories.create(actorOf(user), body);
  }

  @Post('import')
  @HttpCode(200)
  @OpsOnly()
  // An array of OSV records easily has more than the default 1,000 keys; this handler parses the
  // body itself (no class-validator walk), so a larger, still bounded, body costs no more.
  @JsonLimits({ maxKeys: 20_000, maxItems: 20_000 })
  @ApiErrors({ code: 'invalid_osv', when: 'not one OSV document or an array of 1 to 1000, or a document that does not read' })
  @ApiBody({ description: 'One OSV document or an array of them.', schema: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] } })
  import(@CurrentUser() user: AuthenticatedUser, @Body() body: unknown) {
    return this.advisories.import(actorOf(user), body);
  }

  @Patch(':id')
  @OpsOnly()
  @ApiErrors('invalid_range', 'invalid_cvss', 'validation_failed', 'advisory_not_found')
  update(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string, @Body() body: UpdateAdvisoryDto) {
    return this.advisories.update(actorOf(user), id, body);
  }
}
