import type { NamedMigration } from '@keyhaven/database';
import { Migration20261127121626 } from './Migration20261127121626';
import { Migration20261127124142 } from './Migration20261127124142';
import { Migration20261127132400 } from './Migration20261127132400';
import { Migration20261127152243 } from './Migration20261127152243';
import { Migration20261130060422 } from './Migration20261130060422';
import { Migration20261130093000 } from './Migration20261130093000';

/** Every migration, oldest first. Written by tools/scripts/migrations.mjs; do not edit by hand. */
export const RELEASE_MIGRATIONS: readonly NamedMigration[] = [
  { name: 'Migration20261127121626', class: Migration20261127121626 },
  { name: 'Migration20261127124142', class: Migration20261127124142 },
  { name: 'Migration20261127132400', class: Migration20261127132400 },
  { name: 'Migration20261127152243', class: Migration20261127152243 },
  { name: 'Migration20261130060422', class: Migration20261130060422 },
  { name: 'Migration20261130093000', class: Migration20261130093000 },
];
