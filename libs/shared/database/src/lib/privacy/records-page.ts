import type { RecordsOfProcessing } from './data-inventory';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (text: string | null | undefined) => String(text ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** No script, no foreign resource: the page is only text and its own inline style. */
export const RECORDS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Whether a request prefers the readable page (a browser following a link) over JSON. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  if (html < 0) return false;
  const json = accept.indexOf('application/json');
  return json < 0 || html < json;
}

/** The records of processing as a page a data-protection officer can read. */
export function renderRecordsPage(records: RecordsOfProcessing): string {
  const activities = records.activities
    .map(
      (a) => `<section>
<h2>${esc(a.name)}</h2>
<p><strong>Purpose:</strong> ${esc(a.purpose)}</p>
<p><strong>Legal basis:</strong></p><ul>${a.legalBasis.map((b) => `<li>${esc(b.article)} GDPR — ${esc(b.why)}</li>`).join('')}</ul>
<p><strong>Data subjects:</strong> ${esc(a.dataSubjects.join(', '))}</p>
<table><thead><tr><th>Data category</th><th>Stored in</th></tr></thead><tbody>
${a.dataCategories.map((c) => `<tr><td>${esc(c.category)}</td><td>${c.storage.map((s) => `<code>${esc(s.table)}</code> (${esc(s.fields.join(', '))})`).join('<br>')}</td></tr>`).join('\n')}
</tbody></table>
<table><thead><tr><th>Table</th><th>Kept</th><th>Setting</th></tr></thead><tbody>
${a.retention.map((r) => `<tr><td><code>${esc(r.table)}</code></td><td>${esc(r.rule)}</td><td>${r.setting ? `<code>${esc(r.setting)}</code> = ${esc(r.value)}` : '—'}</td></tr>`).join('\n')}
</tbody></table>
<p><strong>Recipients:</strong> ${esc(a.recipients.join(', ') || 'none')}</p>
<p><strong>Transfers to third countries:</strong> ${esc(a.transfers.join(', ') || 'none')}</p>
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Records of processing — ${esc(records.service)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ccd;padding:.3rem .5rem;text-align:left;vertical-align:top}code{font-size:90%}section{border-top:1px solid #ccd;margin-top:1.5rem}</style>
</head><body>
<h1>Records of processing — ${esc(records.service)}</h1>
<p>Built from the running configuration at ${esc(records.generatedAt)} (GDPR Art. 30). Machine-readable: <code>GET ${esc(records.url)}</code> with <code>Accept: application/json</code>.</p>
${activities}
<section><h2>Recipients</h2><ul>${records.recipients.map((r) => `<li>${esc(r.name)}${r.host ? ` (<code>${esc(r.host)}</code>)` : ''}: ${esc(r.purpose)}</li>`).join('')}</ul>
<h2>Backups</h2><p>${esc(records.backups.description)}</p>${
    records.backups.configured
      ? `<p>Kept <code>${esc(records.backups.setting)}</code> = ${esc(records.backups.window ?? '')}; encryption ${esc(records.backups.encryption ?? '')}.</p>`
      : ''
  }</section>
</body></html>
`;
}
