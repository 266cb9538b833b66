import type { DirectoryGroup } from './directory.client';

/**
 * The roles each person gets from LDAP_GROUP_ROLES, nested groups included: a member of a group
 * that is a member of a mapped group gets the mapped group's roles. Computed from the groups'
 * `member`/`uniqueMember` values (normalised DNs), so it works the same on every server —
 * OpenLDAP's dynlist/memberof, AD's in-chain rule and 389-DS's memberOf plug-in are not needed.
 * A cycle of groups is walked once.
 */
export function rolesByPerson(groups: readonly DirectoryGroup[], mapping: ReadonlyMap<string, readonly string[]>): Map<string, Set<string>> {
  const byKey = new Map(groups.map((group) => [group.key, group]));
  const roles = new Map<string, Set<string>>();
  for (const [groupKey, granted] of mapping) {
    const seen = new Set<string>([groupKey]);
    const queue = [...(byKey.get(groupKey)?.members ?? [])];
    while (queue.length > 0) {
      const member = queue.pop() as string;
      if (seen.has(member)) continue;
      seen.add(member);
      const nested = byKey.get(member);
      if (nested) {
        queue.push(...nested.members);
        continue;
      }
      let held = roles.get(member);
      if (!held) roles.set(member, (held = new Set()));
      for (const role of granted) held.add(role);
    }
  }
  return roles;
}

/**
 * How an account's roles change when the directory grants `wanted`: only roles the directory
 * granted before (`fromDirectory`) are removed; a wanted role the account already holds by hand
 * stays a hand-given role (a later sync never takes it away).
 */
export function roleChange(
  current: readonly string[],
  fromDirectory: readonly string[],
  wanted: ReadonlySet<string>,
): { roles: string[]; directoryRoles: string[]; added: string[]; removed: string[] } {
  const removed = fromDirectory.filter((role) => !wanted.has(role) && current.includes(role));
  const added = [...wanted].filter((role) => !current.includes(role)).sort();
  const roles = [...current.filter((role) => !removed.includes(role)), ...added];
  const directoryRoles = [...fromDirectory.filter((role) => wanted.has(role) && current.includes(role)), ...added].sort();
  return { roles, directoryRoles, added, removed };
}
