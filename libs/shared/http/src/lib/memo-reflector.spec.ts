import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MemoReflector } from './memo-reflector';

@SetMetadata('limit', 5)
class Guarded {
  @SetMetadata('limit', 2)
  tight(): string {
    return 'tight';
  }

  loose(): string {
    return 'loose';
  }
}

describe('MemoReflector', () => {
  const plain = new Reflector();

  it('answers what Reflector answers, for the method, the class and neither', () => {
    const memo = new MemoReflector();
    for (const key of ['limit', 'other']) {
      for (const method of [Guarded.prototype.tight, Guarded.prototype.loose]) {
        for (let i = 0; i < 2; i++) expect(memo.getAllAndOverride(key, [method, Guarded])).toBe(plain.getAllAndOverride(key, [method, Guarded]));
      }
    }
    expect(memo.getAllAndOverride('limit', [Guarded.prototype.tight, Guarded])).toBe(2);
    expect(memo.getAllAndOverride('limit', [Guarded.prototype.loose, Guarded])).toBe(5);
    expect(memo.getAllAndOverride('other', [Guarded.prototype.loose, Guarded])).toBeUndefined();
  });

  it('reads the metadata of a key and its targets once', () => {
    const memo = new MemoReflector();
    const read = jest.spyOn(Reflect, 'getMetadata');
    for (let i = 0; i < 5; i++) memo.getAllAndOverride('limit', [Guarded.prototype.tight, Guarded]);
    const once = read.mock.calls.length;
    expect(once).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) memo.getAllAndOverride('limit', [Guarded.prototype.tight, Guarded]);
    expect(read.mock.calls.length).toBe(once);
    memo.getAllAndOverride('limit', [Guarded.prototype.loose, Guarded]);
    expect(read.mock.calls.length).toBeGreaterThan(once);
    read.mockRestore();
  });
});
