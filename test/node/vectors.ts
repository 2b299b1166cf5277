import { readFileSync } from 'node:fs';
import { VECTORS_PATH } from '../vectors-path.ts';
import type { Vectors } from '../vectors.ts';

/** ../shared/protocol/vectors.json, read from where CI puts it (never copied into the repo). */
export const vectors: Vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'));
