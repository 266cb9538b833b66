import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SECOND_FACTOR_STRATEGIES, SecondFactorMethod, SecondFactorStrategy } from './second-factor.strategy';

@Injectable()
export class SecondFactorRegistry {
  constructor(@Inject(SECOND_FACTOR_STRATEGIES) private readonly strategies: readonly SecondFactorStrategy<unknown>[]) {}

  async hasConfirmedFactor(accountId: string, tx?: EntityManager): Promise<boolean> {
    for (const strategy of this.strategies) {
      if (strategy.countsAsFactor && (await strategy.isAvailable(accountId, tx))) return true;
    }
    return false;
  }

  async availableMethods(accountId: string): Promise<SecondFactorMethod[]> {
    const methods: SecondFactorMethod[] = [];
    for (const strategy of this.strategies) if (await strategy.isAvailable(accountId)) methods.push(strategy.method);
    return methods;
  }
}
