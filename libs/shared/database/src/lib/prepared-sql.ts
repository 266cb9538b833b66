import type { EntityManager } from '@mikro-orm/postgresql';

/** A statement a hot path runs over and over: parsed and planned once per pooled connection. */
export interface PreparedStatement {
  /** Unique per text across the process (the server keys prepared statements by name per connection). */
  readonly name: string;
  /** PostgreSQL's own placeholders: `$1`, `$2`, … */
  readonly text: string;
}

export type SqlParam = string | number | boolean | Date | Buffer | null | readonly string[] | readonly SqlArrayElement[];
/** An element of an array parameter (`$1::uuid[]`, `$2::bytea[]`, …). */
export type SqlArrayElement = string | number | Date | Buffer | null;
export type SqlRow = Record<string, unknown>;

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] } | string): Promise<{ rows: SqlRow[]; rowCount: number | null }>;
  end(): Promise<void>;
}

interface KnexClientHolder {
  client: { acquireConnection(): Promise<PgClient>; releaseConnection(connection: PgClient): Promise<unknown> };
}

const NAMES = new Map<string, string>();

/** Declares a prepared statement; the same name twice with different texts is a programming error. */
export function prepared(name: string, text: string): PreparedStatement {
  const known = NAMES.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} declared twice with different texts`);
  NAMES.set(name, text);
  return { name, text };
}

/**
 * Runs a prepared statement on the ORM's own pool (or on the connection of `em`'s open
 * transaction, so it joins that unit of work), bypassing the ORM's query building and its inlining
 * of parameters: on the hot paths (refresh, the sign-in steps) that per-statement work — a fresh
 * parse and plan on the server for every distinct literal text, and the ORM's formatting and
 * result mapping in the service — cost more than the statement itself. The values go to the
 * server as bind parameters, never into the text.
 */
export async function runPrepared(
  scope: PreparedScope,
  statement: PreparedStatement,
  values: readonly SqlParam[],
): Promise<{ rows: SqlRow[]; rowCount: number }> {
  if (scope instanceof PreparedTransaction) {
    const result = await scope.connection.query({ name: statement.name, text: statement.text, values: values as unknown[] });
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  }
  const holder = (scope instanceof PreparedAlone
    ? scope.knex
    : (scope.getTransactionContext() ?? scope.getConnection().getKnex())) as unknown as KnexClientHolder;
  const connection = await holder.client.acquireConnection();
  try {
    const result = await connection.query({ name: statement.name, text: statement.text, values: values as unknown[] });
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } finally {
    await holder.client.releaseConnection(connection);
  }
}

/**
 * An open transaction of `preparedTransaction`: its statements go through `runPrepared` only, so
 * the type system keeps ORM calls (which would need a unit of work) out of it.
 */
export class PreparedTransaction {
  /** @internal */
  constructor(readonly connection: PgClient) {}
}

/**
 * A statement that commits on its own on a pooled connection of `em`, even when called inside the
 * async context of a transaction (which an EntityManager's own scope would join): what a fork of
 * the EntityManager guarantees, without a fork (an EntityManager, a unit of work and an identity
 * map) per statement on a hot path.
 */
export class PreparedAlone {
  constructor(private readonly em: EntityManager) {}

  /** @internal */
  get knex(): unknown {
    return this.em.getConnection().getKnex();
  }
}

/** Where a prepared statement runs: an EntityManager (its transaction, or its pool), `PreparedAlone` or a `PreparedTransaction`. */
export type PreparedScope = EntityManager | PreparedAlone | PreparedTransaction;

/**
 * Runs `work` in one transaction on one connection of `em`'s pool — BEGIN, `work`, COMMIT; ROLLBACK
 * and the error rethrown when `work` throws — for a hot path whose every statement is prepared
 * (the sign-in steps). Same isolation and atomicity as `em.fork().transactional`, without what that
 * costs per call: a fork, a knex transactor (a knex instance per transaction) and the flush of an
 * empty unit of work.
 */
export async function preparedTransaction<T>(em: EntityManager, work: (tx: PreparedTransaction) => Promise<T>): Promise<T> {
  const holder = em.getConnection().getKnex() as unknown as KnexClientHolder;
  const connection = await holder.client.acquireConnection();
  try {
    await connection.query('begin');
    let result: T;
    try {
      result = await work(new PreparedTransaction(connection));
    } catch (error) {
      // A connection that cannot roll back is not handed to the next caller mid-transaction: ended,
      // knex's pool drops it when it is next acquired.
      await connection.query('rollback').catch(() => connection.end().catch(() => undefined));
      throw error;
    }
    await connection.query('commit');
    return result;
  } finally {
    await holder.client.releaseConnection(connection);
  }
}
