import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { DatabaseReadiness } from '@keyhaven/database';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: MikroOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: DatabaseReadiness,
  ) {}

  /** The process answers: nothing else is checked, so a slow database never gets it restarted. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Ready for traffic: the database answers and this instance applied its migrations. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2_000 }),
      () => {
        const indicator = this.indicators.check('migrations');
        return this.readiness.isMigrated ? indicator.up() : indicator.down({ message: 'migrations not applied yet' });
      },
    ]);
  }
}
