import { readFileSync } from 'node:fs';
import { VECTORS_PATH } from '../vectors-path.ts';
import type { Vectors } from '../vectors.ts';

/** docs/vectors.json, the protocol's test vectors. */
export const vectors: Vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'));
