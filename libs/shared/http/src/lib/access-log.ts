/**
 * Requests without an access-log line: probes and scrapes are frequent and uninteresting.
 * pino-http (Nest's routes) and the lean lane both skip them. Matched on the original URL.
 */
export const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;
