import type { FastifyReply } from 'fastify';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The pages of the deletion mail's cancel link. The GET page only asks — mail scanners and link
 * previews fetch links and must not decide anything — and its button posts back to the same
 * address. The token is in the URL, so no referrer leaves the page and nothing is cached.
 */
export function sendCancelPage(reply: FastifyReply, page: { kind: 'confirm'; token: string; scheduledAt: Date } | { kind: 'done' }): void {
  const body =
    page.kind === 'confirm'
      ? `<h1>Keep your account?</h1>
<p>Your Keyhaven account is scheduled to be erased on ${escapeHtml(page.scheduledAt.toISOString().slice(0, 16).replace('T', ' '))} UTC.</p>
<form method="post" action="?token=${escapeHtml(encodeURIComponent(page.token))}"><button type="submit">Cancel the deletion</button></form>`
      : `<h1>Your account stays</h1>
<p>The deletion is cancelled. You can sign in again as before.</p>`;
  void reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Keyhaven account deletion</title></head>\n<body>\n${body}\n</body></html>\n`,
    );
}
