import type { ExecutionContext } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  getOptionsToken,
  getStorageToken,
  normalizeIp,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Reflector } from '@nestjs/core';
import { hash } from 'node:crypto';

/** What a throttler storage's `increment` resolves to. */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** A throttler storage that can also count a hit without a promise (SlidingLogThrottlerStorage). */
export interface SyncThrottlerStorage extends ThrottlerStorage {
  incrementNow(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottlerStorageRecord;
}

/** The metadata keys @nestjs/throttler's decorators write (its throttler.constants, not exported). */
const META = {
  skip: 'THROTTLER:SKIP',
  limit: 'THROTTLER:LIMIT',
  ttl: 'THROTTLER:TTL',
  blockDuration: 'THROTTLER:BLOCK_DURATION',
  tracker: 'THROTTLER:TRACKER',
  keyGenerator: 'THROTTLER:KEY_GENERATOR',
} as const;

/** What `canActivate` resolves per throttler for one route, when all of it is plain values. */
interface Plan {
  throttler: ThrottlerOptions;
  limit: number;
  ttl: number;
  blockDuration: number;
  getTracker: NonNullable<ThrottlerOptions['getTracker']>;
  generateKey: NonNullable<ThrottlerOptions['generateKey']>;
}

/** ThrottlerGuard's methods `canActivateNow` does the work of: a subclass that overrides one takes `canActivate`. */
const LIBRARY_STEPS = ['getTracker', 'handleRequest', 'throwThrottlingException', 'getErrorMessage', 'getRequestResponse', 'setResponseHeader'] as const;

/** Keys kept per guard before the memo starts afresh (one per route and client address). */
const KEY_MEMO_SIZE = 10_000;

/**
 * @nestjs/throttler's ThrottlerGuard for the lean lane's routes (`runGuardAs`): the same
 * throttlers, limits, storage, keys, headers and 429 — each request still goes through the
 * library's own `handleRequest` — without what the library's `canActivate` redoes on every
 * request although it cannot change: the route's limit, ttl and block duration read from
 * metadata and each awaited (five promises per request), and the SHA-256 of the same key text
 * for the same route and address. A route is planned once when its settings are plain values
 * and nothing is skipped by a function (`skipIf`, a resolver per context); otherwise every
 * request takes the library's own path. Measured on the refresh: about 3 % of its service CPU.
 */
export class LaneThrottlerGuard extends ThrottlerGuard {
  private readonly plans = new Map<unknown, Map<unknown, readonly Plan[] | null>>();
  private readonly keys = new Map<string, string>();

  /** The guard on a Nest app's ThrottlerModule options and storage, initialised. */
  static async of(app: { get<T>(token: unknown): T }, reflector: Reflector): Promise<LaneThrottlerGuard> {
    const guard = new LaneThrottlerGuard(app.get<ThrottlerModuleOptions>(getOptionsToken()), app.get<ThrottlerStorage>(getStorageToken()), reflector);
    await guard.onModuleInit();
    return guard;
  }

  /**
   * `canActivate`'s decision made without a promise, for the lane's hottest route (the refresh:
   * five promises fewer per request, each an async-hooks round on Node 20) — when it can be made
   * exactly as the library makes it: the route's plan is plain, every throttler counts the
   * library's own tracker (the client address, an IPv6 one cut to its subnet prefix as
   * `getTracker` does) in a storage that counts synchronously (`incrementNow`), no user agent is
   * exempt, and the 429's message is not computed by a function. Undefined otherwise: then
   * `canActivate`. Past a limit it sets the same Retry-After header and throws the same
   * ThrottlerException; `lane-throttler.spec.ts` compares it with ThrottlerGuard request by request.
   */
  canActivateNow(context: ExecutionContext): boolean | undefined {
    const plan = this.planOf(context);
    if (!plan || !this.countsNow()) return undefined;
    for (const step of plan) if (step.getTracker !== this.commonOptions.getTracker || step.throttler.ignoreUserAgents) return undefined;
    const storage = this.storageService as SyncThrottlerStorage;
    const { req, res } = this.getRequestResponse(context);
    for (const { throttler, limit, ttl, blockDuration, generateKey } of plan) {
      const name = throttler.name ?? 'default';
      const tracker = normalizeIp(req['ip'] as string, this.ipv6SubnetPrefix);
      const key = generateKey(context, tracker, name);
      const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = storage.incrementNow(key, ttl, limit, blockDuration, name);
      const suffix = name === 'default' ? '' : `-${name}`;
      const setHeaders = throttler.setHeaders ?? this.commonOptions.setHeaders ?? true;
      if (isBlocked) {
        if (setHeaders) this.setResponseHeader(res, `Retry-After${suffix}`, timeToBlockExpire);
        throw new ThrottlerException(this.fixedErrorMessage());
      }
      if (setHeaders) {
        this.setResponseHeader(res, `${this.headerPrefix}-Limit${suffix}`, limit);
        this.setResponseHeader(res, `${this.headerPrefix}-Remaining${suffix}`, Math.max(0, limit - totalHits));
        this.setResponseHeader(res, `${this.headerPrefix}-Reset${suffix}`, timeToExpire);
      }
    }
    return true;
  }

  /** Whether this guard counts as `canActivateNow` assumes: the library's own steps, not a subclass's or a function's. */
  private countsNow(): boolean {
    const library = ThrottlerGuard.prototype as unknown as Record<string, unknown>;
    const own = this as unknown as Record<string, unknown>;
    const options = Array.isArray(this.options) ? undefined : (this.options as { getTracker?: unknown; errorMessage?: unknown });
    return (
      typeof (this.storageService as Partial<SyncThrottlerStorage>).incrementNow === 'function' &&
      !options?.getTracker &&
      typeof options?.errorMessage !== 'function' &&
      !this.commonOptions.ignoreUserAgents &&
      LIBRARY_STEPS.every((name) => own[name] === library[name])
    );
  }

  /** getErrorMessage's answer when it is not a function's. */
  private fixedErrorMessage(): string {
    const given = Array.isArray(this.options) ? undefined : (this.options as { errorMessage?: unknown }).errorMessage;
    return typeof given === 'string' && given ? given : this.errorMessage;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const plan = this.planOf(context);
    if (!plan) return super.canActivate(context);
    let allowed = true;
    for (const step of plan) if (!(await this.handleRequest({ context, ...step }))) allowed = false;
    return allowed;
  }

  /** The library's key (SHA-256 of class, handler, throttler and tracker), computed once per text. */
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    const text = `${context.getClass().name}-${context.getHandler().name}-${name}-${suffix}`;
    let key = this.keys.get(text);
    if (key === undefined) {
      if (this.keys.size >= KEY_MEMO_SIZE) this.keys.clear();
      key = hash('sha256', text, 'hex');
      this.keys.set(text, key);
    }
    return key;
  }

  private planOf(context: ExecutionContext): readonly Plan[] | null {
    const handler = context.getHandler();
    const classRef = context.getClass();
    let byClass = this.plans.get(handler);
    if (!byClass) this.plans.set(handler, (byClass = new Map()));
    let plan = byClass.get(classRef);
    if (plan === undefined) {
      plan = this.plan(handler, classRef);
      byClass.set(classRef, plan);
    }
    return plan;
  }

  /** Null when anything is decided per request (skipIf, a function for a value), or a subclass skips. */
  private plan(handler: unknown, classRef: unknown): readonly Plan[] | null {
    if (this.shouldSkip !== LaneThrottlerGuard.prototype.shouldSkip || this.commonOptions.skipIf) return null;
    const targets = [handler, classRef] as Array<() => unknown>;
    const steps: Plan[] = [];
    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      const read = <T>(key: string) => this.reflector.getAllAndOverride<T | undefined>(key + name, targets);
      if (read<boolean>(META.skip)) continue;
      if (throttler.skipIf) return null;
      const limit = read<unknown>(META.limit) ?? throttler.limit;
      const ttl = read<unknown>(META.ttl) ?? throttler.ttl;
      const blockDuration = read<unknown>(META.blockDuration) ?? throttler.blockDuration ?? ttl;
      if (typeof limit !== 'number' || typeof ttl !== 'number' || typeof blockDuration !== 'number') return null;
      const getTracker = read<Plan['getTracker']>(META.tracker) ?? throttler.getTracker ?? this.commonOptions.getTracker;
      const generateKey = read<Plan['generateKey']>(META.keyGenerator) ?? throttler.generateKey ?? this.commonOptions.generateKey;
      if (!getTracker || !generateKey) return null;
      steps.push({ throttler: { ...throttler, name }, limit, ttl, blockDuration, getTracker, generateKey });
    }
    return steps;
  }
}
