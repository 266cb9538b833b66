/**
 * Database errors carry the data they failed on: the driver (knex under MikroORM) writes the
 * statement with every parameter inlined into the error message (`insert into … values
 * ('ada@example.test', '$argon2id$…') - <reason>`), and PostgreSQL's own `detail` repeats the
 * offending values (`Key (email)=(ada@example.test) already exists.`). Logs must carry neither
 * personal data nor secrets, so everything that logs an error passes it through here first:
 * the statement keeps its shape (which table, which columns, what went wrong) and loses its
 * values.
 */

const REDACTED = '[redacted]';

/** A statement as the driver prints it, up to knex's " - " before PostgreSQL's message. */
const STATEMENT = /\b(?:select|insert\s+into|update|delete\s+from|with|merge\s+into)\b[\s\S]*?(?= - |$)/gi;
/** A SQL string literal, doubled quotes included; E'' and U&'' forms start with the same quote. */
const STRING_LITERAL = /'(?:[^']|'')*'/g;
/** PostgreSQL's detail lines that quote row values. */
const KEY_VALUES = /(Key \((?:[^()]|\([^()]*\))*\)=)\((?:[^()]|\([^()]*\))*\)/g;
const FAILING_ROW = /(Failing row contains )\([\s\S]*?\)(?=\.?\s*$|\.\s)/gm;

export function redactDatabaseText(text: string): string {
  return text
    .replace(STATEMENT, (statement) => statement.replace(STRING_LITERAL, `'${REDACTED}'`))
    .replace(KEY_VALUES, `$1(${REDACTED})`)
    .replace(FAILING_ROW, `$1(${REDACTED})`);
}

/** Properties of driver errors that hold statements, values or parameter lists. */
const TEXT_FIELDS = ['message', 'stack', 'detail', 'where', 'internalQuery', 'query', 'sql', 'sqlMessage', 'hint'] as const;
const VALUE_FIELDS = ['parameters', 'params', 'bindings', 'values'] as const;

/**
 * A serialised error (pino's `err` shape or any plain object) with statements and values
 * redacted; nested `cause`s too. Returns a new object.
 */
export function redactDatabaseError<T>(serialised: T, depth = 0): T {
  if (typeof serialised !== 'object' || serialised === null || depth > 5) return serialised;
  const copy: Record<string, unknown> = { ...(serialised as Record<string, unknown>) };
  for (const field of TEXT_FIELDS) {
    if (typeof copy[field] === 'string') copy[field] = redactDatabaseText(copy[field]);
  }
  for (const field of VALUE_FIELDS) {
    if (field in copy) copy[field] = REDACTED;
  }
  if (copy['cause'] !== undefined) copy['cause'] = redactDatabaseError(copy['cause'], depth + 1);
  return copy as T;
}
