/**
 * Where an OpenAPI document names an error code in free text instead of documenting it with
 * `@ApiErrors` (an error response of its status): the success and other descriptions that
 * mention one of the service's codes, as `METHOD path status: code, …`. Codes that are plain
 * English words (`conflict`, `forbidden`) are not looked for: prose may use them.
 */
export function codesOutsideErrorResponses(
  document: { paths: Record<string, Record<string, { responses?: Record<string, { description?: string }> }>> },
  codes: readonly string[],
): string[] {
  const found: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (/^[45]/.test(status)) continue;
        const named = codes.filter((code) => code.includes('_')).filter((code) => new RegExp(`\\b${code}\\b`).test(response.description ?? ''));
        if (named.length) found.push(`${method.toUpperCase()} ${path} ${status}: ${named.join(', ')}`);
      }
    }
  }
  return found;
}
