import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser } from '@keyhaven/auth-guard';
import { actorOf, OpsOnly } from '../app/ops-only.decorator';
import { CancelWindowDto, CreateWindowDto, ListWindowsQueryDto, UpdateWindowDto } from './dto/window.dto';
import { WindowsService } from './windows.service';
import { ApiErrors } from '../app/release-errors';

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
  @ApiOkResponse({ description: 'One window.' })
  @ApiErrors('maintenance_window_not_found')
  get(@Param('id') id: string) {
    return this.windows.get(id);
  }

  @Post('maintenance-windows')
  @OpsOnly()
  @ApiCreatedResponse({ description: 'The window; its notices are planned.' })
  @ApiErrors({ code: 'notice_too_short', when: 'inside the notice lead without emergencyReason' })
  create(@Body() dto: CreateWindowDto, @CurrentUser() user: AuthenticatedUser) {
    return this.windows.create(dto, actorOf(user));
  }

  @Patch('maintenance-windows/:id')
  @OpsOnly()
  @ApiOkResponse({ description: 'The window; announced windows notify `maintenance.rescheduled`.' })
  @ApiErrors('window_closed')
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
