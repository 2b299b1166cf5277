/** A real D1 binding that records each statement prepared on it: how tests count what a request costs on D1. */
export function watched(db: D1Database, log: string[]): D1Database {
  return new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (property === 'prepare') return (sql: string) => (log.push(sql), target.prepare(sql));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
