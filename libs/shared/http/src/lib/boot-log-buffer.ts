import type { LoggerService } from '@nestjs/common';

type Level = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/** The time a replayed line carries; undefined outside a replay (then: now). */
let replayedAt: number | undefined;

/** pino's `timestamp`: the moment a line was said, also for lines said before pino existed. */
export function logTimestamp(): string {
  return `,"time":${replayedAt ?? Date.now()}`;
}

/**
 * Holds what Nest logs while it builds the app — before the pino logger (a provider of that
 * app) exists — with the moment each line was said, and hands the lines to pino afterwards
 * under those moments. Nest's own `bufferLogs` keeps no time, so every boot line carried the
 * moment of the flush and a slow boot step could not be told from a fast one.
 */
export class BootLogBuffer implements LoggerService {
  private lines: { level: Level; args: unknown[]; at: number }[] = [];

  log(...args: unknown[]): void {
    this.keep('log', args);
  }
  error(...args: unknown[]): void {
    this.keep('error', args);
  }
  warn(...args: unknown[]): void {
    this.keep('warn', args);
  }
  debug(...args: unknown[]): void {
    this.keep('debug', args);
  }
  verbose(...args: unknown[]): void {
    this.keep('verbose', args);
  }
  fatal(...args: unknown[]): void {
    this.keep('fatal', args);
  }

  /** Writes the kept lines through `logger` (synchronously, as pino does) and forgets them. */
  replayInto(logger: LoggerService): void {
    const lines = this.lines;
    this.lines = [];
    for (const { level, args, at } of lines) {
      const write = logger[level]?.bind(logger) ?? logger.log.bind(logger);
      replayedAt = at;
      try {
        write(...(args as [unknown, ...unknown[]]));
      } finally {
        replayedAt = undefined;
      }
    }
  }

  private keep(level: Level, args: unknown[]): void {
    this.lines.push({ level, args, at: Date.now() });
  }
}
