#!/usr/bin/env node
// Generates a migration for one service and lists it in src/migrations/index.ts.
//   node tools/scripts/migrations.mjs create auth-service    (diff entities vs DATABASE_URL)
//   node tools/scripts/migrations.mjs index auth-service     (rewrite the list only)
// The list is explicit because a webpack bundle cannot glob for files at run time.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EXPORTS = { 'auth-service': 'AUTH_MIGRATIONS', 'release-api': 'RELEASE_MIGRATIONS' };
const [command, service] = process.argv.slice(2);
if (!['create', 'index'].includes(command) || !EXPORTS[service]) {
  console.error('usage: migrations.mjs create|index auth-service|release-api');
  process.exit(2);
}
const root = join(import.meta.dirname, '../..');
const dir = join(root, 'apps', service, 'src/migrations');

if (command === 'create') {
  const result = spawnSync('npx', ['mikro-orm', 'migration:create'], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      MIKRO_ORM_CLI_USE_TS_NODE: '1',
      MIKRO_ORM_CLI_CONFIG: `apps/${service}/mikro-orm.config.ts`,
      MIKRO_ORM_CLI_TS_CONFIG_PATH: `apps/${service}/tsconfig.app.json`,
      TS_NODE_TRANSPILE_ONLY: '1',
    },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const names = readdirSync(dir)
  .filter((file) => /^Migration\d+\.ts$/.test(file))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();
writeFileSync(
  join(dir, 'index.ts'),
  `import type { NamedMigration } from '@keyhaven/database';
${names.map((name) => `import { ${name} } from './${name}';`).join('\n')}

/** Every migration, oldest first. Written by tools/scripts/migrations.mjs; do not edit by hand. */
export const ${EXPORTS[service]}: readonly NamedMigration[] = [
${names.map((name) => `  { name: '${name}', class: ${name} },`).join('\n')}
];
`,
);
console.log(`${service}: ${names.length} migration(s) listed in src/migrations/index.ts`);
