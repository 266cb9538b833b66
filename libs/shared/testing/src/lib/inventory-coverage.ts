import { Client } from 'pg';
import type { DataInventory } from '@keyhaven/database';

export interface InventoryCoverage {
  /** Tables of the migrated schema(s) without an inventory entry: each one escapes retention and the records. */
  unregistered: string[];
  /** Inventory entries naming a table the schema does not have (renamed or dropped). */
  stale: string[];
  /** Entity classes whose table has no entry. */
  entitiesWithoutEntry: string[];
}

/**
 * Compares what a migrated database really holds (every base table of `schemas`, from the
 * catalog, except the migrations table) with a service's data inventory and its MikroORM
 * entities. A new table — by migration or entity — that nobody described shows up here.
 */
export async function inventoryCoverage(
  url: string,
  schemas: readonly string[],
  inventory: DataInventory,
  entities: readonly { table: string; name: string }[],
): Promise<InventoryCoverage> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `select table_schema || '.' || table_name as name from information_schema.tables
       where table_schema = any($1) and table_type = 'BASE TABLE' and table_name <> 'mikro_orm_migrations' order by 1`,
      [schemas],
    );
    const actual = new Set(rows.map((r) => r.name));
    const registered = new Set(inventory.tables.map((t) => t.table));
    return {
      unregistered: [...actual].filter((t) => !registered.has(t)),
      stale: [...registered].filter((t) => schemas.includes(t.split('.')[0] ?? '') && !actual.has(t)),
      entitiesWithoutEntry: entities.filter((e) => !registered.has(e.table)).map((e) => e.name),
    };
  } finally {
    await client.end();
  }
}
