import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one service instance. A registry per app (not prom-client's global
 * one), so several apps in one test process never clash over metric names.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route' | 'status'>;
  /**
   * Answers of lean routes, counted as plain numbers by method and path, then status, and added to
   * http_requests_total whenever it is read (its `collect`): prom-client's `inc` builds and checks
   * a label hash on every call, the largest part of counting a warm check.
   */
  private readonly leanCounts = new Map<string, { method: string; route: string; byStatus: Map<number, number> }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
      collect: () => this.addLeanCounts(),
    });
    this.latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to response, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }

  /**
   * Observes every request through Fastify hooks; the route label is the pattern, never the raw
   * URL. Requests `counted` elsewhere (lean routes, `countLean`) are left alone.
   */
  instrument(fastify: FastifyInstance, counted: (request: FastifyRequest) => boolean = () => false): void {
    const started = new WeakMap<FastifyRequest, bigint>();
    fastify.addHook('onRequest', (request, _reply, done) => {
      started.set(request, process.hrtime.bigint());
      done();
    });
    fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
      if (counted(request)) {
        done();
        return;
      }
      const start = started.get(request);
      const labels = {
        method: request.method,
        // Unmatched URLs share one label so a scanner cannot blow up the label set.
        route: request.routeOptions?.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      this.requests.inc(labels);
      if (start !== undefined) this.latency.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
      done();
    });
  }

  /**
   * The counter of one lean route's answers by status, made once per route: no string or label
   * object per answer. Only the request counter (a lean answer's latency is not observed).
   */
  leanCounter(method: string, route: string): (status: number) => void {
    const key = `${method} ${route}`;
    let counts = this.leanCounts.get(key);
    if (!counts) this.leanCounts.set(key, (counts = { method, route, byStatus: new Map() }));
    const { byStatus } = counts;
    return (status) => {
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    };
  }

  private addLeanCounts(): void {
    for (const { method, route, byStatus } of this.leanCounts.values()) {
      for (const [status, count] of byStatus) this.requests.inc({ method, route, status: String(status) }, count);
      byStatus.clear();
    }
  }
}

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
