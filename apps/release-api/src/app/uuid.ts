/**
 * An id from a path is matched against this before any query: PostgreSQL would refuse a
 * malformed uuid with an error instead of finding nothing, and the caller is owed the route's
 * not-found answer.
 */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
