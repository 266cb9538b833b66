export default async function globalTeardown(): Promise<void> {
  await globalThis.__KEYHAVEN_EMBEDDED__?.stop();
  globalThis.__KEYHAVEN_EMBEDDED__ = undefined;
}
