import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import {
  AndFilter,
  Client,
  EqualityFilter,
  FilterParser,
  InvalidCredentialsError,
  OrFilter,
  ResultCodeError,
  SizeLimitExceededError,
  type Entry,
} from 'ldapts';
import { Clock } from '@keyhaven/config';
import { accountState, DirectoryAccountState, DirectoryAttributes, STATE_ATTRIBUTES, text, values } from './account-state';
import { DirectoryConfig } from './directory.config';
import { normaliseDn } from './dn';

/**
 * The directory could not be asked: connect, TLS, the service account's bind, a timeout, a size
 * limit or a paging error, an answer that makes no sense. `reason` is for operators (run
 * reports, logs): it never carries a password.
 */
export class DirectoryUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`directory unavailable: ${reason}`);
    this.name = 'DirectoryUnavailable';
  }
}

/** One person of the directory, as Keyhaven needs it. */
export interface DirectoryPerson {
  dn: string;
  /** `normaliseDn(dn)`: what group `member` values are compared with. */
  key: string;
  /** The stable id (entryUUID, objectGUID as hex, nsUniqueId): survives renames and moves. */
  id: string;
  login: string;
  /** Lower case; undefined when the entry has none. */
  mail: string | undefined;
  name: string | undefined;
  state: DirectoryAccountState;
}

export interface DirectoryGroup {
  key: string;
  /** Normalised DNs of members (people and nested groups). */
  members: string[];
}

/** Logins longer than this are nobody's (and never reach the server). */
export const MAX_LOGIN_LENGTH = 256;

/**
 * Every conversation with the directory, over ldapts: a fresh connection per task (sign-in
 * check, sync), StartTLS before any bind on `ldap://`, certificates verified against LDAP_CA_FILE
 * (or the system's CAs), every operation bounded by LDAP_TIMEOUT. Searches build their filter
 * from ldapts's filter objects, which escape values per RFC 4515, so a login of `*` or `)(uid=*`
 * is a literal that matches nobody.
 */
export class DirectoryClient {
  constructor(
    readonly config: DirectoryConfig,
    private readonly clock: Clock,
  ) {}

  get flavor() {
    return this.config.flavor;
  }

  /** The person a login (LDAP_LOGIN_ATTR value or mail) names, under the user base and filter; undefined for none or several. */
  async findPerson(login: string): Promise<DirectoryPerson | undefined> {
    if (login.length === 0 || login.length > MAX_LOGIN_LENGTH || login.includes('\0')) return undefined;
    const filter = new AndFilter({
      filters: [
        FilterParser.parseString(this.config.userFilter),
        new OrFilter({
          filters: [
            new EqualityFilter({ attribute: this.config.loginAttr, value: login }),
            new EqualityFilter({ attribute: this.config.mailAttr, value: login }),
          ],
        }),
      ],
    });
    return this.asService(async (client, guard) => {
      let entries: Entry[];
      try {
        ({ searchEntries: entries } = await guard(() =>
          client.search(this.config.userBaseDn, {
            scope: 'sub',
            filter,
            attributes: this.personAttributes(),
            sizeLimit: 2,
            explicitBufferAttributes: this.bufferAttributes(),
          }),
        ));
      } catch (error) {
        // Two or more people answer to this login: it names nobody for sure.
        if (error instanceof SizeLimitExceededError) return undefined;
        throw error;
      }
      if (entries.length !== 1) return undefined;
      return this.person(entries[0] as Entry);
    });
  }

  /**
   * Whether `password` is this person's: a bind as their DN on a connection of its own. An empty
   * password is refused before any bind — it would be an unauthenticated bind, which servers
   * answer with success (RFC 4513 5.1.2).
   */
  async checkPassword(dn: string, password: string): Promise<boolean> {
    if (password.length === 0 || password.length > 1024) return false;
    const { client, guard, close } = await this.connect();
    try {
      await guard(() => client.bind(dn, password));
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return false;
      throw unavailable('bind', error);
    } finally {
      await close();
    }
  }

  /**
   * Every person under the user base and filter, page by page (RFC 2696); `onPage` hears how many
   * were read after each page, before the next one is asked for. A connection lost between pages
   * is an error (ldapts does not resume a paged search on a new connection).
   */
  async listPeople(onPage?: (read: number) => Promise<void>): Promise<DirectoryPerson[]> {
    // The caller's own failure (say, its database) is not the directory's: it leaves as it came.
    let callerFailure: { error: unknown } | undefined;
    const people = await this.asService(async (client, guard) => {
      const people: DirectoryPerson[] = [];
      const pages = client.searchPaginated(this.config.userBaseDn, {
        scope: 'sub',
        filter: this.config.userFilter,
        attributes: this.personAttributes(),
        paged: { pageSize: this.config.pageSize },
        explicitBufferAttributes: this.bufferAttributes(),
      });
      for (;;) {
        const next = await guard(() => pages.next());
        if (next.done) break;
        for (const entry of next.value.searchEntries) people.push(this.person(entry));
        try {
          await onPage?.(people.length);
        } catch (error) {
          callerFailure = { error };
          break;
        }
      }
      return people;
    });
    if (callerFailure) throw callerFailure.error;
    return people;
  }

  /** Every group under LDAP_GROUP_BASE_DN and LDAP_GROUP_FILTER with its members, paged. */
  async listGroups(): Promise<DirectoryGroup[]> {
    const base = this.config.groupBaseDn;
    if (!base) return [];
    return this.asService(async (client, guard) => {
      const groups: DirectoryGroup[] = [];
      const pages = client.searchPaginated(base, {
        scope: 'sub',
        filter: this.config.groupFilter,
        attributes: ['member', 'uniqueMember'],
        paged: { pageSize: this.config.pageSize },
      });
      for (;;) {
        const next = await guard(() => pages.next());
        if (next.done) break;
        for (const entry of next.value.searchEntries) {
          const key = normaliseDn(entry.dn);
          if (!key) throw new DirectoryUnavailable(`the directory answered a group with an unreadable DN`);
          const members = [...values(entry as DirectoryAttributes, 'member'), ...values(entry as DirectoryAttributes, 'uniqueMember')]
            // groupOfUniqueNames may append "#'0101'B" (an optional UID) to a member's DN.
            .map((member) => normaliseDn(String(member).replace(/#'[01]*'B$/, '')))
            .filter((member): member is string => member !== undefined);
          groups.push({ key, members });
        }
      }
      return groups;
    });
  }

  /** Connect, StartTLS, service bind: the connection test of `GET /v1/admin/ldap/status`. */
  async test(): Promise<{ ok: true; latencyMs: number } | { ok: false; reason: string }> {
    const started = this.clock.nowMs();
    try {
      await this.asService(async () => undefined);
      return { ok: true, latencyMs: Math.max(0, this.clock.nowMs() - started) };
    } catch (error) {
      return { ok: false, reason: error instanceof DirectoryUnavailable ? error.reason : 'unexpected error' };
    }
  }

  private personAttributes(): string[] {
    return [...new Set([this.config.idAttr, this.config.loginAttr, this.config.mailAttr, 'cn', 'displayName', ...STATE_ATTRIBUTES[this.config.flavor]])];
  }

  private bufferAttributes(): string[] {
    return this.config.idAttr.toLowerCase() === 'objectguid' ? [this.config.idAttr] : [];
  }

  private person(entry: Entry): DirectoryPerson {
    const attributes = entry as DirectoryAttributes;
    const key = normaliseDn(entry.dn);
    const rawId = values(attributes, this.config.idAttr)[0];
    const id = rawId === undefined ? undefined : typeof rawId === 'string' ? rawId.toLowerCase() : rawId.toString('hex');
    const login = text(attributes, this.config.loginAttr);
    // Garbage in a sync's answer aborts the run (nothing local changes): a person without an id
    // or a login cannot be matched safely.
    if (!key || !id || !login)
      throw new DirectoryUnavailable(`the directory answered an entry without a readable DN, ${this.config.idAttr} or ${this.config.loginAttr}`);
    const mail = text(attributes, this.config.mailAttr)?.trim().toLowerCase();
    return {
      dn: entry.dn,
      key,
      id,
      login,
      mail: mail || undefined,
      name: text(attributes, 'displayName') ?? text(attributes, 'cn'),
      state: accountState(attributes, this.config.flavor, this.clock.now()),
    };
  }

  /** `work` runs every directory operation through `guard` (see connect()). */
  private async asService<T>(work: (client: Client, guard: Guard) => Promise<T>): Promise<T> {
    const { client, guard, close } = await this.connect();
    try {
      try {
        await guard(() => client.bind(this.config.bindDn, this.config.bindPassword));
      } catch (error) {
        throw error instanceof InvalidCredentialsError
          ? new DirectoryUnavailable('the service account (LDAP_BIND_DN) was refused: invalid credentials')
          : unavailable('service bind', error);
      }
      try {
        return await work(client, guard);
      } catch (error) {
        throw error instanceof DirectoryUnavailable ? error : unavailable('search', error);
      }
    } finally {
      await close();
    }
  }

  /**
   * A connection (StartTLS done when configured) and `guard`, which runs one directory operation
   * and fails it the moment the connection's socket closes under us — or refuses to start it when
   * the socket is gone already. ldapts notices a closed socket only on the one it opened itself:
   * after StartTLS the TLS socket that replaced it can die (a crashed or restarted server) and the
   * next request would wait for LDAP_TIMEOUT and be reported as a timeout. Only directory
   * operations are guarded: the caller's own work between them (a page's progress) runs to its end.
   */
  private async connect(): Promise<{ client: Client; guard: Guard; close: () => Promise<void> }> {
    const tlsOptions: ConnectionOptions = { ...(this.config.ca ? { ca: this.config.ca } : {}), minVersion: 'TLSv1.2' };
    // tlsOptions only for ldaps:// — given to a plain ldap:// client, ldapts breaks the StartTLS handshake.
    const secure = this.config.url.startsWith('ldaps:');
    let closing = false;
    let dropped = false;
    let live: Socket | undefined;
    let reject: (error: Error) => void = () => undefined;
    const lost = new Promise<never>((_, no) => (reject = no));
    lost.catch(() => undefined);
    // Armed once the socket is up (a refused connect or a failed handshake is ldapts's error to report).
    const watch = <S extends Socket>(socket: S, up: 'connect' | 'secureConnect'): S => {
      socket.once(up, () => {
        live = socket;
        socket.once('close', () => {
          if (closing || live !== socket) return;
          dropped = true;
          reject(new ConnectionLost());
        });
      });
      return socket;
    };
    const client = new Client({
      url: this.config.url,
      timeout: this.config.timeoutMs,
      connectTimeout: this.config.timeoutMs,
      ...(secure ? { tlsOptions } : {}),
      strictDN: false,
      createConnection: ((...args: unknown[]) => watch((netConnect as (...a: unknown[]) => Socket)(...args), 'connect')) as typeof netConnect,
      createSecureConnection: ((...args: unknown[]) => watch((tlsConnect as (...a: unknown[]) => Socket)(...args), 'secureConnect')) as typeof tlsConnect,
    });
    const guard: Guard = (operation) => (dropped ? Promise.reject(new ConnectionLost()) : Promise.race([operation(), lost]));
    const close = async () => {
      closing = true;
      // A lost connection has nobody to say goodbye to (an unbind would wait for LDAP_TIMEOUT).
      if (!dropped) await client.unbind().catch(() => undefined);
    };
    if (this.config.startTls) {
      try {
        await guard(() => client.startTLS(tlsOptions));
      } catch (error) {
        await close();
        throw unavailable('StartTLS', error);
      }
    }
    return { client, guard, close };
  }
}

/** Runs one directory operation on a connection, failing it with ConnectionLost when the connection goes. */
type Guard = <T>(operation: () => Promise<T>) => Promise<T>;

/** The socket under a connection closed while it was in use. */
class ConnectionLost extends Error {
  constructor() {
    super('connection lost');
  }
}

/** A short, secret-free reason for an operator. */
function unavailable(step: string, error: unknown): DirectoryUnavailable {
  if (error instanceof DirectoryUnavailable) return error;
  if (error instanceof ConnectionLost) return new DirectoryUnavailable(`${step}: the connection to the directory was lost`);
  if (error instanceof SizeLimitExceededError) return new DirectoryUnavailable(`${step}: the server's size limit was exceeded (is paging refused?)`);
  if (error instanceof ResultCodeError) return new DirectoryUnavailable(`${step}: ${error.message} (LDAP result ${error.code})`);
  const node = error as NodeJS.ErrnoException;
  if (node?.code) return new DirectoryUnavailable(`${step}: ${node.code}`);
  const message = error instanceof Error ? error.message : String(error);
  // ldapts's words for a connection the server closed (or that died) while we were using it.
  if (/Socket connection not established|Connection closed before message response|Socket error/.test(message)) {
    return new DirectoryUnavailable(`${step}: the connection to the directory was lost`);
  }
  return new DirectoryUnavailable(`${step}: ${/timeout|timed out/i.test(message) ? 'timed out' : message.slice(0, 200)}`);
}
