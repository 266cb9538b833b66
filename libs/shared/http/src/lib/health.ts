import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { MikroORM } from '@mikro-orm/postgresql';
import { DatabaseReadiness } from '@keyhaven/database';
import { RawAnswer, type LeanRoute } from './lean-route';

type Check = { status: 'up' } | { status: 'down'; message: string };

/** The answer shape load balancers and Kubernetes probes already read (the Terminus one). */
export interface HealthAnswer {
  status: 'ok' | 'error';
  info: Record<string, Check>;
  error: Record<string, Check>;
  details: Record<string, Check>;
}

const DATABASE_TIMEOUT_MS = 2_000;

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly orm: MikroORM,
    private readonly readiness: DatabaseReadiness,
  ) {}

  /**
   * The process answers: nothing else is checked, so a slow database never gets it restarted.
   * Served on the lean lane (`LIVE_ROUTE`); this method defines and documents it.
   */
  @Get('live')
  live(): HealthAnswer {
    return summarise({});
  }

  /** Ready for traffic: the database answers and this instance applied its migrations (503 until then). */
  @Get('ready')
  async ready(): Promise<HealthAnswer> {
    const answer = summarise({
      database: await this.pingDatabase(),
      migrations: this.readiness.isMigrated ? { status: 'up' } : { status: 'down', message: 'migrations not applied yet' },
    });
    if (answer.status !== 'ok') throw new HttpException(answer, HttpStatus.SERVICE_UNAVAILABLE);
    return answer;
  }

  private async pingDatabase(): Promise<Check> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${DATABASE_TIMEOUT_MS} ms`)), DATABASE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.orm.em.getConnection().execute('select 1'), timeout]);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', message: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `/health/live` on the lean lane: probes every few seconds from every orchestrator, constant bytes. */
export const LIVE_ROUTE: LeanRoute = {
  method: 'GET',
  path: '/health/live',
  handle: () => LIVE_ANSWER,
  atOnce: () => LIVE_ANSWER,
};
const LIVE_ANSWER = new RawAnswer(200, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(summarise({})));

function summarise(checks: Record<string, Check>): HealthAnswer {
  const entries = Object.entries(checks);
  const info = Object.fromEntries(entries.filter(([, check]) => check.status === 'up'));
  const error = Object.fromEntries(entries.filter(([, check]) => check.status !== 'up'));
  return { status: Object.keys(error).length ? 'error' : 'ok', info, error, details: checks };
}
