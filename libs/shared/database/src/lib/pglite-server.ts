import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite' with { 'resolution-mode': 'import' };

/**
 * Serves one PGlite instance over the PostgreSQL wire protocol, so the ordinary `pg` driver
 * (MikroORM, pg-boss) connects to it with as many pooled connections as it likes.
 *
 * PGlite is ONE PostgreSQL session. Every connection shares its unnamed statement and portal,
 * its error state and its transaction, so the server never lets a message of one connection in
 * between the messages of another's exchange:
 * - a connection's messages are grouped into units that end where the client waits for an
 *   answer (Sync, Query, Flush, FunctionCall, a password), and a unit runs as one call into
 *   PGlite under `runExclusive`;
 * - while a connection's transaction is open, or its extended-protocol exchange is paused at a
 *   Flush, only that connection runs; the others wait in arrival order.
 */

/** What the server needs of a PGlite instance. */
export type PgliteSession = Pick<PGlite, 'runExclusive' | 'execProtocolRawStream' | 'isInTransaction'>;

export interface PgliteServerOptions {
  db: PgliteSession;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Connections served at once; one more is refused with SQLSTATE 53300. Default 32. */
  maxConnections?: number;
}

export interface PgliteAddress {
  host: string;
  port: number;
}

export interface PgliteServer {
  /** Where it listens (the port the system picked, for port 0). */
  readonly address: PgliteAddress;
  /** A `postgres://` URL for the ordinary driver (PGlite takes any user and password). */
  readonly url: string;
  /**
   * Stops listening and hangs up every connection; resolves once the session is idle (an open
   * transaction rolled back), so the caller may close the database.
   */
  stop(): Promise<void>;
}

export async function startPgliteServer(options: PgliteServerOptions): Promise<PgliteServer> {
  const listener = createServer();
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const { port } = listener.address() as AddressInfo;
  return new ListeningServer(listener, new SharedSession(options.db), { host, port }, options.maxConnections ?? 32);
}

class ListeningServer implements PgliteServer {
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly listener: Server,
    private readonly session: SharedSession,
    private readonly bound: PgliteAddress,
    private readonly maxConnections: number,
  ) {
    listener.on('connection', (socket) => this.accept(socket));
    // A failed accept (EMFILE, a reset before accept) loses that one client; keep listening.
    listener.on('error', () => undefined);
  }

  get address(): PgliteAddress {
    return { ...this.bound };
  }

  get url(): string {
    return `postgres://postgres:postgres@${this.bound.host}:${this.bound.port}/postgres`;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const connection of this.connections) connection.close();
    await closed;
    await this.session.idle();
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined); // a vanished client only ends its own connection
    if (this.connections.size >= this.maxConnections) {
      // As PostgreSQL does: the error, then hang up (a client need not close its side first).
      socket.end(errorResponse('53300', 'sorry, too many clients already'), () => socket.destroy());
      return;
    }
    const connection = new Connection(socket, this.session, () => this.connections.delete(connection));
    this.connections.add(connection);
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const TERMINATE = 'X'.charCodeAt(0);
const FLUSH = 'H'.charCodeAt(0);
/** After these the client waits for the server: Sync, Query, Flush, FunctionCall, a password. */
const UNIT_ENDS = new Set([...'SQHFp'].map((type) => type.charCodeAt(0)));

/**
 * Hands the session back when a connection leaves while holding it. The first ROLLBACK ends an
 * explicit transaction, or the implicit one of a paused extended-protocol exchange (a Sync would
 * commit that one); if an error had the session skipping to the next Sync, the ROLLBACK was
 * skipped, the Sync ends the skipping, and the second ROLLBACK ends a transaction the error left
 * failed.
 */
const RELEASE = Buffer.concat([frame('Q', Buffer.from('ROLLBACK\0')), frame('S', Buffer.alloc(0)), frame('Q', Buffer.from('ROLLBACK\0'))]);

interface Unit {
  connection: Connection;
  bytes: Buffer;
  /** Ended by Flush: the exchange goes on in the connection's next unit, up to its Sync. */
  paused: boolean;
  answer(bytes: Buffer): void;
  fail(error: unknown): void;
}

/** Takes turns on the one PGlite session: one unit at a time, its holder's units only while it holds. */
class SharedSession {
  private readonly waiting: Unit[] = [];
  /** The connection whose open transaction, or paused exchange, the session belongs to. */
  private holder: Connection | undefined;
  private serving: Promise<void> | undefined;

  constructor(private readonly db: PgliteSession) {}

  /** Runs one unit when its turn comes; resolves with PGlite's answer (empty if the connection left first). */
  run(connection: Connection, bytes: Buffer, paused: boolean): Promise<Buffer> {
    return new Promise((answer, fail) => {
      this.waiting.push({ connection, bytes, paused, answer, fail });
      this.wake();
    });
  }

  /** A connection has gone: its waiting units are dropped and, if it held the session, the session is released. */
  leave(connection: Connection): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i].connection === connection) this.waiting.splice(i, 1)[0].answer(Buffer.alloc(0));
    }
    this.wake();
  }

  async idle(): Promise<void> {
    while (this.serving) await this.serving;
  }

  private wake(): void {
    if (this.serving) return;
    const unit = this.next();
    if (unit) this.serving = this.serve(unit);
  }

  private async serve(first: Unit): Promise<void> {
    for (let unit: Unit | undefined = first; unit; unit = this.next()) await this.execute(unit);
    this.serving = undefined;
  }

  private next(): Unit | undefined {
    if (this.holder?.closed) {
      const connection = this.holder;
      return { connection, bytes: RELEASE, paused: false, answer: () => undefined, fail: () => undefined };
    }
    const index = this.holder ? this.waiting.findIndex((unit) => unit.connection === this.holder) : 0;
    return index < 0 ? undefined : this.waiting.splice(index, 1)[0];
  }

  private async execute(unit: Unit): Promise<void> {
    const answer: Buffer[] = [];
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(unit.bytes, {
          // PGlite hands out views of its WebAssembly memory, which the next call overwrites.
          onRawData: (data) => answer.push(Buffer.from(data)),
        }),
      );
    } catch (error) {
      if (unit.bytes === RELEASE) this.holder = undefined;
      unit.fail(error);
      return;
    }
    const holds = unit.bytes !== RELEASE && (unit.paused || this.db.isInTransaction());
    this.holder = holds ? unit.connection : undefined;
    unit.answer(Buffer.concat(answer));
  }
}

/** One client socket: cuts its bytes into units, runs them in order, writes the answers. */
class Connection {
  closed = false;
  private readonly reader = new MessageReader();
  private started = false;
  private gathering: Buffer[] = [];
  private readonly units: { bytes: Buffer; paused: boolean }[] = [];
  private driving = false;
  private terminating = false;

  constructor(
    private readonly socket: Socket,
    private readonly session: SharedSession,
    private readonly onClose: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.close());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.units.length = 0;
    this.socket.destroy();
    this.session.leave(this);
    this.onClose();
  }

  private receive(chunk: Buffer): void {
    if (this.terminating) return;
    this.reader.push(chunk);
    try {
      for (let message = this.reader.next(this.started); message; message = this.reader.next(this.started)) {
        if (this.started) this.typed(message);
        else this.startup(message);
        if (this.terminating || this.closed) break;
      }
    } catch {
      this.close(); // a malformed length: nothing after it can be framed
      return;
    }
    void this.drive();
  }

  /** Startup phase: the messages without a type byte. */
  private startup(message: Buffer): void {
    const code = message.length >= 8 ? message.readInt32BE(4) : 0;
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write('N'); // no encryption on loopback: the client goes on in plain text
    } else if (code === CANCEL_REQUEST) {
      this.close(); // PGlite has no backend to signal; the client expects the server to hang up
    } else {
      this.started = true;
      this.units.push({ bytes: message, paused: false });
    }
  }

  private typed(message: Buffer): void {
    if (message[0] === TERMINATE) {
      // PGlite ignores Terminate (the shared session must outlive this client): run what came
      // before it, then hang up.
      this.terminating = true;
      return;
    }
    this.gathering.push(message);
    if (UNIT_ENDS.has(message[0])) {
      this.units.push({ bytes: Buffer.concat(this.gathering), paused: message[0] === FLUSH });
      this.gathering = [];
    }
  }

  private async drive(): Promise<void> {
    if (this.driving) return;
    this.driving = true;
    for (let unit = this.units.shift(); unit && !this.closed; unit = this.units.shift()) {
      try {
        const answer = await this.session.run(this, unit.bytes, unit.paused);
        if (answer.length > 0 && !this.closed && !this.socket.write(answer)) await this.drained();
      } catch {
        this.close(); // PGlite refused the unit (a bad startup packet, a closed database)
      }
    }
    this.driving = false;
    if (this.terminating) this.close();
  }

  /** A client that does not read its answers gets no more work done, and is not read from. */
  private drained(): Promise<void> {
    this.socket.pause();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done).off('close', done);
        this.socket.resume();
        resolve();
      };
      this.socket.once('drain', done).once('close', done);
    });
  }
}

/** Cuts a byte stream into whole protocol messages, however TCP split or merged them. */
class MessageReader {
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /**
   * The next whole message, or undefined while it is still arriving. Before the startup packet,
   * messages (SSLRequest, CancelRequest, StartupMessage) have a length but no type byte.
   */
  next(typed: boolean): Buffer | undefined {
    const header = typed ? 5 : 4;
    if (this.length < header) return undefined;
    const size = (typed ? 1 : 0) + this.front(header).readInt32BE(typed ? 1 : 0);
    if (size < header) throw new Error(`malformed message length ${size}`);
    if (this.length < size) return undefined;
    const front = this.front(size);
    if (front.length === size) this.chunks.shift();
    else this.chunks[0] = front.subarray(size);
    this.length -= size;
    return front.subarray(0, size);
  }

  /** The first chunk, merged with the following ones until it holds `bytes` (only once a message is whole). */
  private front(bytes: number): Buffer {
    if (this.chunks[0].length < bytes) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }
}

function frame(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

function errorResponse(code: string, message: string): Buffer {
  return frame('E', Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`));
}
