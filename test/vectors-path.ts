import { fileURLToPath } from 'node:url';

/** The protocol vectors live beside the repository (CI clones it with shared/ next to it). */
export const VECTORS_PATH = fileURLToPath(new URL('../../shared/protocol/vectors.json', import.meta.url));
