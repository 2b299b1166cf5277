/**
 * One line per request: method, path, status and duration. Deliberately nothing else: no
 * client address, no query string, no header, no body, so that no hashed id, payload or
 * uploader ever reaches a log (ids only travel in bodies).
 */
import type { MiddlewareHandler } from 'hono';

/**
 * @example app.use('*', requestLog(console.log))
 */
export function requestLog(write: (line: string) => void): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    write(`${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - start).toFixed(1)}ms`);
  };
}
