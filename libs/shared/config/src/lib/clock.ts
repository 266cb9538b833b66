/**
 * The time source every service injects instead of calling `new Date()`, so tests move time
 * by hand instead of sleeping. Provide `{ provide: Clock, useClass: SystemClock }` in an app
 * module; tests override it with a `ManualClock`.
 */
export abstract class Clock {
  abstract now(): Date;

  nowMs(): number {
    return this.now().getTime();
  }
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  override nowMs(): number {
    return Date.now();
  }
}

/** A clock that moves only when told to. */
export class ManualClock extends Clock {
  private current: number;

  constructor(start: Date | string | number = '2026-01-01T00:00:00Z') {
    super();
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string | number): void {
    this.current = new Date(to).getTime();
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
