import { GroupCommit } from './group-commit';

/** A statement runner whose calls the test settles by hand. */
function pendingRuns() {
  const calls: Array<{ items: string[]; settle: (results: string[]) => void; fail: (error: Error) => void }> = [];
  const run = (items: readonly string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items: [...items], settle: resolve, fail: reject });
    });
  return { calls, run };
}

const keyOf = (item: string) => item.split(':')[0]!;
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe(GroupCommit.name, () => {
  it('sends a request at once, alone, when nothing is in flight', async () => {
    const { calls, run } = pendingRuns();
    const commit = new GroupCommit(run, keyOf);
    const answer = commit.submit('a:1');
    expect(calls.map((call) => call.items)).toEqual([['a:1']]);
    calls[0]!.settle(['A1']);
    await expect(answer).resolves.toBe('A1');
  });

  it('sends what arrived while a statement was in flight as one batch, and answers each its own result', async () => {
    const { calls, run } = pendingRuns();
    const commit = new GroupCommit(run, keyOf);
    const first = commit.submit('a:1');
    const later = ['b:1', 'c:1', 'd:1'].map((item) => commit.submit(item));
    expect(calls).toHaveLength(1);
    expect(commit.waiting).toBe(3);
    calls[0]!.settle(['A1']);
    await flush();
    expect(calls.map((call) => call.items)).toEqual([['a:1'], ['b:1', 'c:1', 'd:1']]);
    calls[1]!.settle(['B1', 'C1', 'D1']);
    await expect(Promise.all([first, ...later])).resolves.toEqual(['A1', 'B1', 'C1', 'D1']);
    expect(commit.waiting).toBe(0);
  });

  it('never puts two items of one key in one batch: the later waits for the next, in order', async () => {
    const { calls, run } = pendingRuns();
    const commit = new GroupCommit(run, keyOf);
    void commit.submit('x:0');
    const answers = ['a:1', 'b:1', 'a:2', 'c:1', 'a:3'].map((item) => commit.submit(item));
    calls[0]!.settle(['X0']);
    await flush();
    expect(calls[1]!.items).toEqual(['a:1', 'b:1', 'c:1']);
    calls[1]!.settle(['A1', 'B1', 'C1']);
    await flush();
    expect(calls[2]!.items).toEqual(['a:2']);
    calls[2]!.settle(['A2']);
    await flush();
    expect(calls[3]!.items).toEqual(['a:3']);
    calls[3]!.settle(['A3']);
    await expect(Promise.all(answers)).resolves.toEqual(['A1', 'B1', 'A2', 'C1', 'A3']);
  });

  it('holds at most maxBatch items per statement, and keeps that many in flight at most', async () => {
    const { calls, run } = pendingRuns();
    const commit = new GroupCommit(run, keyOf, { maxBatch: 2, concurrency: 2 });
    const answers = ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => commit.submit(`${key}:1`));
    // The first two arrive with fewer than two statements in flight: each goes alone.
    expect(calls.map((call) => call.items)).toEqual([['a:1'], ['b:1']]);
    calls[0]!.settle(['A']);
    await flush();
    expect(calls[2]!.items).toEqual(['c:1', 'd:1']);
    calls[1]!.settle(['B']);
    await flush();
    expect(calls[3]!.items).toEqual(['e:1', 'f:1']);
    calls[2]!.settle(['C', 'D']);
    calls[3]!.settle(['E', 'F']);
    await expect(Promise.all(answers)).resolves.toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
  });

  it('rejects every item of a failed batch with its error, and goes on with the next batch', async () => {
    const { calls, run } = pendingRuns();
    const commit = new GroupCommit(run, keyOf);
    const first = commit.submit('a:1');
    const failing = [commit.submit('b:1'), commit.submit('c:1')];
    const after = commit.submit('b:2');
    calls[0]!.settle(['A1']);
    await flush();
    calls[1]!.fail(new Error('connection lost'));
    await expect(first).resolves.toBe('A1');
    for (const answer of failing) await expect(answer).rejects.toThrow('connection lost');
    await flush();
    expect(calls[2]!.items).toEqual(['b:2']);
    calls[2]!.settle(['B2']);
    await expect(after).resolves.toBe('B2');
  });

  it('rejects a batch whose runner answers a different number of results, and one whose runner throws at once', async () => {
    const wrong = new GroupCommit(async (items: readonly string[]) => items.slice(1), keyOf);
    await expect(wrong.submit('a:1')).rejects.toThrow('group commit: 0 results for 1 items');
    const throwing = new GroupCommit((): Promise<string[]> => {
      throw new Error('bad statement');
    }, keyOf);
    await expect(throwing.submit('a:1')).rejects.toThrow('bad statement');
    await expect(throwing.submit('b:1')).rejects.toThrow('bad statement');
  });
});
