import { fileURLToPath } from 'node:url';

/** The protocol's test vectors, kept with its description in docs/. */
export const VECTORS_PATH = fileURLToPath(new URL('../docs/vectors.json', import.meta.url));
