// Runs a bare Fastify server in its own process (like the services under test), so a
// baseline never shares an event loop with the load generator.
//   node bare-host.mjs <module.mjs> '<json options>'
// The module's default export registers routes: `export default async (fastify, options) => {}`.
// Prints `listening <port>` on stdout once ready.
import Fastify from 'fastify';
import { pathToFileURL } from 'node:url';

const [modulePath, optionsJson] = process.argv.slice(2);
const register = (await import(pathToFileURL(modulePath).href)).default;
const fastify = Fastify({ logger: false });
await register(fastify, JSON.parse(optionsJson ?? '{}'));
await fastify.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${fastify.server.address().port}\n`);
process.on('SIGTERM', () => fastify.close().then(() => process.exit(0)));
