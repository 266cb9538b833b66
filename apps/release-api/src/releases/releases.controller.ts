import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser } from '@keyhaven/auth-guard';
import { actorOf, OpsOnly } from '../app/ops-only.decorator';
import { CreateReleaseDto, ListReleasesQuery, UpdateReleaseDto } from './dto/release.dto';
import { ReleasesService } from './releases.service';

@ApiTags('releases')
@Controller('v1/releases')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Get()
  list(@Query() query: ListReleasesQuery) {
    return this.releases.list(query);
  }

  @Get(':version')
  get(@Param('version') version: string) {
    return this.releases.get(version);
  }

  @Post()
  @HttpCode(201)
  @OpsOnly()
  create(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateReleaseDto) {
    return this.releases.create(actorOf(user), body);
  }

  @Patch(':version')
  @OpsOnly()
  update(@CurrentUser() user: AuthenticatedUser, @Param('version') version: string, @Body() body: UpdateReleaseDto) {
    return this.releases.update(actorOf(user), version, body);
  }
}
