/**
 * Group commit for a hot statement: requests that arrive while an earlier statement of the same
 * kind is on its way to the database wait for it, then go together as one statement — one round
 * trip, one plan execution and one commit (one WAL flush) for all of them.
 *
 * Natural batching: nothing waits on a timer. A request that finds fewer than `concurrency`
 * statements in flight is sent at once, alone — an idle service answers as fast as without
 * batching; only under load, while a statement is already on its way, do requests queue, and then
 * they would have queued for a pooled connection anyway. A batch holds at most `maxBatch` items.
 *
 * Items with the same `key` (say, the same row) never share a statement: a later one waits for
 * the next batch, so each statement sees them in arrival order as separate statements would (a
 * joined UPDATE applies only one source row per target row).
 *
 * `run` gets the items of one batch and answers one result per item, in the items' order. When it
 * throws, every item of that batch is rejected with its error; later batches still run.
 */
export class GroupCommit<Item, Result> {
  private readonly queue: Array<{ item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: readonly Item[]) => Promise<readonly Result[]>,
    private readonly keyOf: (item: Item) => string,
    private readonly options: { maxBatch: number; concurrency: number } = { maxBatch: 64, concurrency: 1 },
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.inFlight < this.options.concurrency) this.next();
    });
  }

  /** How many items wait for a statement (the tests read it). */
  get waiting(): number {
    return this.queue.length;
  }

  private next(): void {
    const batch = this.take();
    if (batch.length === 0) return;
    this.inFlight += 1;
    const items = batch.map((entry) => entry.item);
    let results: Promise<readonly Result[]>;
    try {
      results = this.run(items);
    } catch (error) {
      results = Promise.reject(error);
    }
    results.then(
      (answered) => {
        if (answered.length !== batch.length) {
          const error = new Error(`group commit: ${answered.length} results for ${batch.length} items`);
          for (const entry of batch) entry.reject(error);
        } else {
          batch.forEach((entry, i) => entry.resolve(answered[i] as Result));
        }
        this.settled();
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
        this.settled();
      },
    );
  }

  private settled(): void {
    this.inFlight -= 1;
    while (this.inFlight < this.options.concurrency && this.queue.length > 0) this.next();
  }

  /** Up to maxBatch queued entries, oldest first, no two with one key; the rest stay queued in order. */
  private take(): typeof this.queue {
    const { maxBatch } = this.options;
    if (this.queue.length <= 1) return this.queue.splice(0, this.queue.length);
    const keys = new Set<string>();
    const batch: typeof this.queue = [];
    const left: typeof this.queue = [];
    for (const entry of this.queue) {
      const key = this.keyOf(entry.item);
      if (batch.length < maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(entry);
      } else {
        left.push(entry);
      }
    }
    this.queue.length = 0;
    this.queue.push(...left);
    return batch;
  }
}
