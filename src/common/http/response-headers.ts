/** What helmet would set for a JSON API; the docs page gets a policy that lets its own script run. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};
const DOCS_HEADERS: Readonly<Record<string, string>> = {
  ...SECURITY_HEADERS,
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

/**
 * The security headers of a response to `url` (as sent, query string included): the docs page
 * and its assets get their own Content-Security-Policy, whatever the query string.
 */
export function securityHeadersFor(url: string): Readonly<Record<string, string>> {
  if (!url.startsWith('/docs')) return SECURITY_HEADERS;
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  return path === '/docs' || path.startsWith('/docs/') ? DOCS_HEADERS : SECURITY_HEADERS;
}
