import { type DirectoryUser, type Slapd, startSlapd } from '@keyhaven/testing';

/** The one directory person most directory suites need. */
export const ADA: DirectoryUser = { uid: 'ada', password: 'ada-directory-pw', mail: 'ada@example.test' };

/**
 * A throwaway OpenLDAP for the enclosing describe block: started before its tests, closed after
 * them. The object returned is filled in once the server is up (its members are closures), so the
 * suite's tests use it as the server itself.
 */
export function slapdForSuite(options: Parameters<typeof startSlapd>[0] = { users: [ADA] }): Slapd {
  const slapd = {} as Slapd;
  let started: Slapd | undefined;
  beforeAll(async () => {
    started = await startSlapd(options);
    Object.assign(slapd, started);
  }, 60_000);
  afterAll(async () => {
    await started?.close();
  });
  return slapd;
}
