/** The shapes of the share-link routes (README, "Share a location"; docs/protocol.md §16). */
import { z } from '@hono/zod-openapi';
import { decodeBase64, SHARE_TOKEN_LENGTH } from '../../crypto/index.ts';
import { MAX_SHARE_BYTES, MAX_SHARE_DAYS } from './limits.ts';
import { decoded } from './schemas.ts';
import { unixMs } from './times.ts';

const Ciphertext = decoded((text) => {
  const bytes = decodeBase64(text);
  if (typeof bytes === 'string') return bytes;
  if (bytes.length < 28 || bytes.length > MAX_SHARE_BYTES)
    return `a share's ciphertext is 28 to ${MAX_SHARE_BYTES} bytes, got ${bytes.length}`;
  return bytes;
}).openapi({
  type: 'string',
  description: 'Standard base64 of nonce ‖ AES-256-GCM ciphertext ‖ tag (docs/protocol.md §16)',
});

const Token = decoded((text) => {
  const bytes = decodeBase64(text);
  if (typeof bytes === 'string' || bytes.length === SHARE_TOKEN_LENGTH) return bytes;
  return `a share token is ${SHARE_TOKEN_LENGTH} bytes, got ${bytes.length}`;
}).openapi({ type: 'string', description: 'Standard base64 of the owner’s 32-byte token' });

export const CreateShareRequest = z
  .object({
    ciphertext: Ciphertext,
    tokenHash: decoded((text) => {
      const bytes = decodeBase64(text);
      if (typeof bytes === 'string' || bytes.length === 32) return bytes;
      return `a token hash is 32 bytes, got ${bytes.length}`;
    }).openapi({ type: 'string', description: 'SHA-256 of the owner’s token, standard base64' }),
    expiresAt: unixMs(`when the link ends, at most ${MAX_SHARE_DAYS} days ahead`),
  })
  .openapi('CreateShareRequest');

export const CreatedShare = z
  .object({
    share: z.string().openapi({ description: 'The link’s id (base64url, 16 bytes)' }),
    expiresAt: unixMs('when the link ends, as stored: the asked time rounded up to a whole second'),
  })
  .openapi('CreatedShare');

export const UpdateShareRequest = z.object({ ciphertext: Ciphertext, token: Token }).openapi('UpdateShareRequest');
export const ShareTokenRequest = z.object({ token: Token }).openapi('ShareTokenRequest');

export const SharedCiphertext = z
  .object({
    ciphertext: z.string(),
    expiresAt: unixMs('when the link ends'),
    updatedAt: unixMs('when the owner last updated it, a whole second'),
  })
  .openapi('SharedCiphertext');

export const ShareParam = z.object({
  share: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22}$/)
    .openapi({ param: { name: 'share', in: 'path' }, description: 'The link’s id' }),
});
