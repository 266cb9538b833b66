import type { Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * A Reflector that remembers what `getAllAndOverride` answered for a key and its targets. Route
 * metadata is written by decorators when the classes load and never changes afterwards, so the
 * answer is the same on every call; guards run per request on the lean lane (the throttler asks
 * six keys per throttler, each a walk of two prototype chains) read it once per route instead.
 * Only for targets that are classes and their methods — what guards pass.
 */
export class MemoReflector extends Reflector {
  private readonly memo = new Map<unknown, Map<unknown, Map<unknown, unknown>>>();

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Reflector's own signature
  override getAllAndOverride<TResult = unknown, TKey = unknown>(metadataKey: TKey, targets: (Type<unknown> | Function)[]): TResult {
    if (targets.length !== 2) return super.getAllAndOverride<TResult, TKey>(metadataKey, targets);
    const [first, second] = targets;
    let byFirst = this.memo.get(metadataKey);
    if (!byFirst) this.memo.set(metadataKey, (byFirst = new Map()));
    let bySecond = byFirst.get(first);
    if (!bySecond) byFirst.set(first, (bySecond = new Map()));
    if (!bySecond.has(second)) bySecond.set(second, super.getAllAndOverride<TResult, TKey>(metadataKey, targets));
    return bySecond.get(second) as TResult;
  }
}
