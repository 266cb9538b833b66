/** Set by the jest global setup: the superuser URL of the embedded test server (never logged). */
export const EMBEDDED_TEST_URL = 'KEYHAVEN_EMBEDDED_TEST_URL';
