import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { Omittable } from '@keyhaven/errors';
import { Authenticated, CurrentUser, Roles } from '../sessions/guards/auth.guards';
import type { TokenClaims } from '../sessions/token-claims';
import { DirectorySyncService } from './directory-sync.service';
import { MultiFactorGuard } from './multi-factor.guard';
import { ApiErrors } from '../app/auth-errors';

export class SyncRequestDto {
  @ApiPropertyOptional({ description: 'plan and report only: nothing changes' })
  @Omittable()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({ description: 'lock even when more than LDAP_SYNC_MAX_LOCK_PERCENT of the linked accounts would be locked' })
  @Omittable()
  @IsBoolean()
  force?: boolean;
}

/** The directory sync for admins (multi-factor sessions only). */
@ApiTags('admin')
@Controller('v1/admin/ldap')
@UseGuards(MultiFactorGuard)
@Authenticated()
@Roles('admin')
export class DirectoryController {
  constructor(private readonly sync: DirectorySyncService) {}

  @Post('sync')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: '{runId}' })
  @ApiErrors('directory_not_configured', 'directory_sync_running')
  start(@CurrentUser() admin: TokenClaims, @Body() body: SyncRequestDto) {
    return this.sync.request({ trigger: 'admin', dryRun: body.dryRun, force: body.force, requestedBy: admin.sub });
  }

  @Get('runs')
  @ApiOkResponse({ description: '{runs: [...]}: the newest 50 runs, without their per-account actions' })
  async runs() {
    return { runs: await this.sync.runsList() };
  }

  @Get('runs/:id')
  @ApiOkResponse({ description: "one run with each account's action and why" })
  @ApiErrors('directory_run_not_found')
  run(@Param('id') id: string) {
    return this.sync.run(id);
  }

  @Get('status')
  @ApiOkResponse({ description: 'connection test, last successful run, next scheduled run' })
  status() {
    return this.sync.status();
  }
}
