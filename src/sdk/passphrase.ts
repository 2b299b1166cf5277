/**
 * Keys made from an owner's passphrase, with one set of parameters for the page's key vault and
 * the owner's report archive: PBKDF2-SHA-256 with 600,000 iterations (OWASP's 2023 figure) and a
 * 16-byte random salt, feeding AES-256-GCM with 12-byte random IVs. WebCrypto, so it runs the same
 * in the browser and in Node.
 */

/** PBKDF2's hash and iteration count, for every passphrase Crowdfind turns into a key. */
export const PASSPHRASE_KDF = { name: 'PBKDF2', hash: 'SHA-256', iterations: 600_000 } as const;
export const PASSPHRASE_SALT_LENGTH = 16;
/** AES-GCM's IV for data sealed under a passphrase key. */
export const PASSPHRASE_IV_LENGTH = 12;
export const MIN_PASSPHRASE_LENGTH = 8;

/** A passphrase too short to stand against guessing is refused, in words. */
export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH)
    throw new Error(`use a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters`);
}

/**
 * `length` bytes of PBKDF2 output. Its first 32 bytes are the vault's AES key whatever the length
 * (PBKDF2's output blocks do not depend on how many are asked for), so longer outputs only add keys.
 * @example const [aesKey, indexKey] = split(await passphraseBits('correct horse', salt, 64))
 */
export async function passphraseBits(passphrase: string, salt: Uint8Array, length: number): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits({ ...PASSPHRASE_KDF, salt: salt as BufferSource }, material, length * 8);
  return new Uint8Array(bits);
}

/** The AES-256-GCM key of a passphrase and salt (the page's key vault). */
export async function passphraseKey(passphrase: string, salt: Uint8Array): Promise<CryptoKey> {
  const bits = await passphraseBits(passphrase, salt, 32);
  return crypto.subtle.importKey('raw', bits as BufferSource, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}
