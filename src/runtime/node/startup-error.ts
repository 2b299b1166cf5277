/** Why the server could not start, in one line for a person: a port in use, a database another server holds. */
export class StartupError extends Error {
  override name = 'StartupError';
}
