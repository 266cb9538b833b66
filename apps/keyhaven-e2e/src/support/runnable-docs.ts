/**
 * Docs that run: the shell blocks of the README and the guides that are marked runnable —
 *
 *     <!-- runnable -->
 *     ```sh
 *     curl -s http://localhost:3001/v1/check?version=13.1.0
 *     ```
 *
 * — extracted in document order and joined into one bash script per run, so a variable set in
 * one block is there in the next, as for a reader who copies them in order.
 */
export interface RunnableBlock {
  /** The file as shown in failures, e.g. `docs/maintenance.md`. */
  file: string;
  /** 1-based line of the block's first command in that file. */
  line: number;
  code: string;
}

const MARKER = /^<!--\s*runnable\s*-->\s*$/;
const FENCE_OPEN = /^```(sh|bash)\s*$/;

/** The marked blocks of one Markdown file. A marker not followed by a ```sh block is an error. */
export function runnableBlocks(markdown: string, file: string): RunnableBlock[] {
  const lines = markdown.split('\n');
  const blocks: RunnableBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (!MARKER.test(lines[index] ?? '')) continue;
    if (!FENCE_OPEN.test(lines[index + 1] ?? '')) {
      throw new Error(`${file}:${index + 1}: <!-- runnable --> must be directly followed by a \`\`\`sh block`);
    }
    const start = index + 2;
    const end = lines.findIndex((line, at) => at >= start && /^```\s*$/.test(line));
    if (end < 0) throw new Error(`${file}:${index + 2}: the runnable block is never closed`);
    blocks.push({ file, line: start + 1, code: lines.slice(start, end).join('\n') });
    index = end;
  }
  return blocks;
}

export interface DocsScript {
  script: string;
  /** Where a line of the script came from (by 1-based script line). */
  origin(scriptLine: number): string | undefined;
}

/**
 * One bash script of the blocks, after a prelude. `rewrite` adapts a block to the test's
 * services (other ports); the lines keep their count, so failures point at the doc's line.
 */
export function docsScript(prelude: string, blocks: readonly RunnableBlock[], rewrite: (code: string) => string = (code) => code): DocsScript {
  const out = prelude.split('\n');
  const origins = new Map<number, string>();
  for (const block of blocks) {
    out.push(`: "--- ${block.file}:${block.line} ---"`);
    rewrite(block.code)
      .split('\n')
      .forEach((text, offset) => {
        out.push(text);
        origins.set(out.length, `${block.file}:${block.line + offset}`);
      });
  }
  return { script: `${out.join('\n')}\n`, origin: (line) => origins.get(line) };
}
