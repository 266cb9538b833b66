import secureJson from 'secure-json-parse';
import { DomainError } from '@keyhaven/errors';

/**
 * The shape a JSON body may have, checked before anything is built from it. The validation
 * pipe (class-transformer, class-validator) walks a body recursively and per key: a 10,000-deep
 * body overflowed its stack (500) and 50,000 unknown keys held the event loop for 1.5 s and
 * produced a 5 MB answer. No request needs more than these; a route that does (a bulk import)
 * raises them with `@JsonLimits(…)`.
 */
export interface JsonBodyLimits {
  /** Objects and arrays nested inside each other, the outermost one counting as 1. */
  maxDepth: number;
  /** Object members in the whole body, at any depth. */
  maxKeys: number;
  /** Array elements in the whole body, at any depth. */
  maxItems: number;
}

export const DEFAULT_JSON_LIMITS: Readonly<JsonBodyLimits> = { maxDepth: 32, maxKeys: 1_000, maxItems: 10_000 };

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const COLON = 0x3a;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Parses a request body as JSON within `limits`, refusing NUL characters in any string.
 *
 * One pass over the text counts depth, keys and array elements and stops at the first limit,
 * before `JSON.parse` builds a single object, so a hostile body costs at most one linear scan.
 * The scan only counts structure; syntax is left to `JSON.parse`, so counts on invalid JSON
 * never matter (it is refused either way). NUL (`\u0000`, the only way to write one in valid
 * JSON) is refused because PostgreSQL cannot store it in text, and a name that differs from
 * another only by a NUL is a spoofing tool anyway. Prototype-poisoning keys are refused as
 * Fastify's own parser would.
 */
export function parseJsonBody(text: string, limits: JsonBodyLimits = DEFAULT_JSON_LIMITS): unknown {
  if (text.trim() === '') throw new DomainError('malformed_json', 'The request says it is JSON but the body is empty.');
  checkShape(text, limits);
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DomainError('malformed_json', `The request body is not valid JSON: ${reason.slice(0, 200)}`);
  }
}

function checkShape(text: string, limits: JsonBodyLimits): void {
  let keys = 0;
  let items = 0;
  // One entry per open container: true for an array. `awaitingFirst` is set by `[` until the
  // array's first element (or its `]`) shows up, so `[]` counts no element and `[1,2]` two.
  const arrays: boolean[] = [];
  let awaitingFirst = false;
  const countItem = () => {
    items++;
    if (items > limits.maxItems) {
      throw new DomainError('malformed_json', `The request body has more than ${limits.maxItems} array elements.`, { maxItems: limits.maxItems });
    }
  };
  const valueStarts = () => {
    if (awaitingFirst) {
      awaitingFirst = false;
      countItem();
    }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      valueStarts();
      i = skipString(text, i);
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      valueStarts();
      arrays.push(c === OPEN_ARRAY);
      if (arrays.length > limits.maxDepth) {
        throw new DomainError('malformed_json', `The request body nests objects and arrays deeper than ${limits.maxDepth} levels.`, {
          maxDepth: limits.maxDepth,
        });
      }
      awaitingFirst = c === OPEN_ARRAY;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      arrays.pop();
      awaitingFirst = false;
    } else if (c === COLON) {
      keys++;
      if (keys > limits.maxKeys) {
        throw new DomainError('malformed_json', `The request body has more than ${limits.maxKeys} object keys.`, { maxKeys: limits.maxKeys });
      }
    } else if (c === COMMA) {
      if (arrays[arrays.length - 1]) countItem();
    } else if (!WHITESPACE.has(c)) {
      // The first character of a number, true, false or null.
      valueStarts();
    }
  }
}

/**
 * Index of the closing quote of the string opening at `start`. Refuses an escaped NUL, and an
 * escaped surrogate that is not half of a pair: `"\ud800"` parses to a string that is not
 * Unicode text (validator.js throws on it inside class-validator, a 500; PostgreSQL would store
 * U+FFFD instead). A raw lone surrogate cannot reach us: the body is decoded as UTF-8.
 */
function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c !== BACKSLASH) continue;
    if (text.charCodeAt(i + 1) !== 0x75 /* u */) {
      i++;
      continue;
    }
    const unit = hexAt(text, i + 2);
    if (unit === 0) throw new DomainError('validation_failed', 'Text in the request must not contain NUL characters (\\u0000).');
    if (unit >= 0xd800 && unit <= 0xdbff && text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === 0x75) {
      const low = hexAt(text, i + 8);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i += 11;
        continue;
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff)
      throw new DomainError('validation_failed', 'Text in the request must be valid Unicode: it has half of a surrogate pair (\\ud800–\\udfff) alone.');
    i += 5;
  }
  return text.length;
}

/** The value of four hex digits at `at`, or -1. */
function hexAt(text: string, at: number): number {
  const digits = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : -1;
}
