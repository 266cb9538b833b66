import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser } from '@keyhaven/auth-guard';
import { actorOf, OpsOnly } from '../app/ops-only.decorator';
import { CreateReleaseDto, ListReleasesQuery, UpdateReleaseDto } from './dto/release.dto';
import { ReleasesService } from './releases.service';
import { ApiErrors } from '../app/release-errors';

@ApiTags('releases')
@Controller('v1/releases')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Get()
  list(@Query() query: ListReleasesQuery) {
    return this.releases.list(query);
  }

  @Get(':version')
  @ApiErrors('release_not_found')
  get(@Param('version') version: string) {
    return this.releases.get(version);
  }

  @Post()
  @HttpCode(201)
  @OpsOnly()
  @ApiErrors(
    'invalid_version',
    { code: 'invalid_range', when: 'upgradeFrom is not a semver range' },
    { code: 'validation_failed', when: 'also an unknown channel or edition' },
    'release_exists',
  )
  create(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateReleaseDto) {
    return this.releases.create(actorOf(user), body);
  }

  @Patch(':version')
  @OpsOnly()
  @ApiErrors(
    { code: 'invalid_range', when: 'upgradeFrom is not a semver range' },
    { code: 'validation_failed', when: 'also an unknown channel or edition' },
    'release_not_found',
  )
  update(@CurrentUser() user: AuthenticatedUser, @Param('version') version: string, @Body() body: UpdateReleaseDto) {
    return this.releases.update(actorOf(user), version, body);
  }
}
