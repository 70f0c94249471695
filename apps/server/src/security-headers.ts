// Security headers on every answer: the console's pages and assets, the API, errors.
import { secureHeaders } from 'hono/secure-headers';

/**
 * The console's Content-Security-Policy. Vite's build emits only external files (one module script,
 * one stylesheet, under /assets) and React sets styles through the DOM, so nothing inline is
 * allowed; `data:` images are for the favicon in index.html. API answers (JSON) get the same
 * policy, which forbids them everything a page could do with them.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * Hono's `secureHeaders` with our policy: CSP, `X-Frame-Options: DENY` (for browsers without
 * frame-ancestors), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and its other
 * defaults (HSTS, which browsers heed over HTTPS only; COOP/CORP same-origin).
 *
 * @example
 * app.use('*', securityHeaders());
 */
export function securityHeaders() {
  return secureHeaders({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
  });
}
