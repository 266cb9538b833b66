export default async function globalTeardown(): Promise<void> {
  await globalThis.__KEYHAVEN_PGLITE__?.close();
  globalThis.__KEYHAVEN_PGLITE__ = undefined;
}
