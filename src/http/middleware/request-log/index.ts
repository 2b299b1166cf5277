/**
 * One line per request: method, path, outcome and duration. Deliberately nothing else: no
 * client address, no query string, no header, no body, so that no hashed id, payload or
 * uploader ever reaches a log (ids only travel in bodies). The path is logged as sent, still
 * percent-encoded, so no line break or control character a client puts in it can forge a line,
 * and cut to a bounded length. A path that carries a secret (a subscription's name) is logged as
 * its route's pattern, `/v1/subscriptions/:subscription`, never as sent.
 */
import type { MiddlewareHandler } from 'hono';

/** Longest path a log line holds. */
const MAX_LOGGED_PATH = 200;

/** The path of `url` as sent (percent-encoded), cut to {@link MAX_LOGGED_PATH} characters. */
function loggedPath(url: string): string {
  const path = new URL(url).pathname;
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
}

/**
 * @example app.use('*', requestLog(console.log))
 */
export function requestLog(write: (line: string) => void): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    // A client that closed the connection before its answer was written never saw a status.
    const outcome = c.req.raw.signal.aborted ? 'client went away' : String(c.res.status);
    const pattern = c.req.routePath;
    const path = pattern.includes(':') ? pattern : loggedPath(c.req.url);
    write(`${c.req.method} ${path} ${outcome} ${(performance.now() - start).toFixed(1)}ms`);
  };
}
