/**
 * Distinguished names (RFC 4514), just enough to validate configured DNs and compare DNs that a
 * server writes in different spellings (`CN=Admins, OU=Groups` vs `cn=admins,ou=groups`): the
 * group sync matches `member` values against user DNs and configured group DNs.
 */

export interface Rdn {
  type: string;
  value: string;
}

const TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;

/** The RDNs of a DN (multi-valued RDNs split on `+`), or undefined when it is not a DN. */
export function parseDn(text: string): Rdn[][] | undefined {
  if (text.length === 0 || text.length > 4096 || text.includes('\0')) return undefined;
  const rdns: Rdn[][] = [];
  let current: Rdn[] = [];
  let i = 0;
  while (i <= text.length) {
    // attributeType
    const eq = text.indexOf('=', i);
    if (eq < 0) return undefined;
    const type = text.slice(i, eq).trim();
    if (!TYPE.test(type)) return undefined;
    i = eq + 1;
    let value = '';
    let end: string | undefined;
    while (i < text.length) {
      const ch = text[i] as string;
      if (ch === '\\') {
        const next = text.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(next)) {
          value += String.fromCharCode(parseInt(next, 16));
          i += 3;
          continue;
        }
        const special = text[i + 1];
        if (special === undefined || !' "#+,;<=>\\'.includes(special)) return undefined;
        value += special;
        i += 2;
        continue;
      }
      if (ch === ',' || ch === '+' || ch === ';') {
        end = ch;
        i += 1;
        break;
      }
      if (ch === '"' || ch === '<' || ch === '>') return undefined;
      value += ch;
      i += 1;
    }
    value = value.trim();
    if (value.length === 0) return undefined;
    current.push({ type: type.toLowerCase(), value });
    if (end === '+') continue;
    rdns.push(current);
    current = [];
    if (end === undefined) break;
  }
  return rdns.length ? rdns : undefined;
}

/** One spelling per DN: types and values lower case, no spaces around separators, RDN parts sorted. */
export function normaliseDn(text: string): string | undefined {
  const rdns = parseDn(text);
  if (!rdns) return undefined;
  return rdns
    .map((rdn) =>
      rdn
        .map((part) => `${part.type}=${escapeValue(part.value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** Whether `dn` is `base` or lies below it (both normalised). */
export function isUnder(dn: string, base: string): boolean {
  return dn === base || dn.endsWith(`,${base}`);
}

function escapeValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (ch) => `\\${ch}`)
    .replace(/^[ #]/, (ch) => `\\${ch}`)
    .replace(/ $/, '\\ ');
}
