/**
 * What the app tells whoever watches it (the Node runtime's metrics): counts and times only.
 * Nothing passed here names a client, an id, an address or a secret, so nothing watching can.
 */
export interface AppObserver {
  /** An upload was stored: how many reports were new, already present, and turned away by the per-id cap. */
  reportsStored(counts: { readonly accepted: number; readonly duplicates: number; readonly rejected: number }): void;
  /** An owner query was answered on `route` (a declared path) with `status`, after `seconds`. */
  queried(route: string, status: number, seconds: number): void;
  /** A client was refused by one of the rate limits. */
  rateLimited(limit: 'uploads' | 'queries' | 'reports' | 'bytes stored'): void;
}

/** The observer of an app that nobody watches (the Worker's, and tests'). */
export const UNOBSERVED: AppObserver = { reportsStored() {}, queried() {}, rateLimited() {} };
