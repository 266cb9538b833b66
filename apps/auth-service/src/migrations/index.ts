import type { NamedMigration } from '@keyhaven/database';
import { Migration20261127121455 } from './Migration20261127121455';
import { Migration20261127122700 } from './Migration20261127122700';
import { Migration20261127132351 } from './Migration20261127132351';
import { Migration20261127133409 } from './Migration20261127133409';
import { Migration20261130060419 } from './Migration20261130060419';
import { Migration20261130081607 } from './Migration20261130081607';
import { Migration20261130092000 } from './Migration20261130092000';
import { Migration20261130103000 } from './Migration20261130103000';
import { Migration20261130120209 } from './Migration20261130120209';
import { Migration20261130124500 } from './Migration20261130124500';
import { Migration20261130124600 } from './Migration20261130124600';
import { Migration20261130124700 } from './Migration20261130124700';
import { Migration20261130150500 } from './Migration20261130150500';
import { Migration20261130151500 } from './Migration20261130151500';

/** Every migration, oldest first. Written by tools/scripts/migrations.mjs; do not edit by hand. */
export const AUTH_MIGRATIONS: readonly NamedMigration[] = [
  { name: 'Migration20261127121455', class: Migration20261127121455 },
  { name: 'Migration20261127122700', class: Migration20261127122700 },
  { name: 'Migration20261127132351', class: Migration20261127132351 },
  { name: 'Migration20261127133409', class: Migration20261127133409 },
  { name: 'Migration20261130060419', class: Migration20261130060419 },
  { name: 'Migration20261130081607', class: Migration20261130081607 },
  { name: 'Migration20261130092000', class: Migration20261130092000 },
  { name: 'Migration20261130103000', class: Migration20261130103000 },
  { name: 'Migration20261130120209', class: Migration20261130120209 },
  { name: 'Migration20261130124500', class: Migration20261130124500 },
  { name: 'Migration20261130124600', class: Migration20261130124600 },
  { name: 'Migration20261130124700', class: Migration20261130124700 },
  { name: 'Migration20261130150500', class: Migration20261130150500 },
  { name: 'Migration20261130151500', class: Migration20261130151500 },
];
