import pino from 'pino';
import type { LoggerService } from '@nestjs/common';
import { BootLogBuffer, logTimestamp } from './boot-log-buffer';

describe(BootLogBuffer.name, () => {
  afterEach(() => jest.useRealTimers());

  function pinoLogger() {
    const lines: { level: number; msg: string; time: number }[] = [];
    const logger = pino({ timestamp: logTimestamp, level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const service: LoggerService = {
      log: (message: string) => logger.info(message),
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.error(message),
    };
    return { service, lines };
  }

  it('replays each boot line with the moment it was said, then lines carry their own time again', () => {
    jest.useFakeTimers({ now: new Date('2026-11-30T09:00:00.000Z') });
    const sut = new BootLogBuffer();
    sut.log('Starting Nest application...');
    jest.setSystemTime(new Date('2026-11-30T09:00:01.250Z'));
    sut.warn('Generated a key');
    jest.setSystemTime(new Date('2026-11-30T09:00:02.000Z'));
    const { service, lines } = pinoLogger();

    sut.replayInto(service);
    service.log('after the replay');

    expect(lines).toEqual([
      expect.objectContaining({ msg: 'Starting Nest application...', level: 30, time: Date.parse('2026-11-30T09:00:00.000Z') }),
      expect.objectContaining({ msg: 'Generated a key', level: 40, time: Date.parse('2026-11-30T09:00:01.250Z') }),
      expect.objectContaining({ msg: 'after the replay', time: Date.parse('2026-11-30T09:00:02.000Z') }),
    ]);
    sut.replayInto(service);
    expect(lines).toHaveLength(3); // replayed once
  });

  it('falls back to log for a level the logger lacks', () => {
    const sut = new BootLogBuffer();
    sut.verbose('detail');
    const { service, lines } = pinoLogger();
    sut.replayInto(service);
    expect(lines).toEqual([expect.objectContaining({ msg: 'detail', level: 30 })]);
  });
});
