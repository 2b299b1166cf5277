/**
 * Key files kept in the browser's own storage, only if the owner asks, encrypted under a
 * passphrase with the parameters of src/sdk/passphrase.ts (PBKDF2-SHA-256, 600,000 iterations,
 * AES-256-GCM), which the CLI's report archive shares. Nothing here ever leaves the browser.
 */
import { base64ToBytes, bytesToBase64 } from '../../crypto/index.ts';
import { checkPassphrase, PASSPHRASE_IV_LENGTH, PASSPHRASE_SALT_LENGTH, passphraseKey } from '../sdk/passphrase.ts';
import type { KeyFileInput } from './worker-messages.ts';

const STORAGE_KEY = 'crowdfind.keys';
/** Whether key files are saved in this browser. */
export function hasSavedKeys(): boolean {
  return localStorage.getItem(STORAGE_KEY) !== null;
}

/** Saves the files, encrypted under `passphrase` (at least 8 characters). */
export async function saveKeys(files: KeyFileInput[], passphrase: string): Promise<void> {
  checkPassphrase(passphrase);
  const salt = crypto.getRandomValues(new Uint8Array(PASSPHRASE_SALT_LENGTH));
  const iv = crypto.getRandomValues(new Uint8Array(PASSPHRASE_IV_LENGTH));
  const plaintext = new TextEncoder().encode(
    JSON.stringify(files.map((f) => ({ name: f.name, bytes: bytesToBase64(f.bytes) }))),
  );
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await passphraseKey(passphrase, salt), plaintext),
  );
  localStorage.setItem(
    STORAGE_KEY,
    JSON.stringify({ salt: bytesToBase64(salt), iv: bytesToBase64(iv), sealed: bytesToBase64(sealed) }),
  );
}

/** The saved files; a wrong passphrase is an error that says so. */
export async function loadKeys(passphrase: string): Promise<KeyFileInput[]> {
  const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as {
    salt: string;
    iv: string;
    sealed: string;
  } | null;
  if (!saved) throw new Error('no keys are saved in this browser');
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: base64ToBytes(saved.iv) as BufferSource },
      await passphraseKey(passphrase, base64ToBytes(saved.salt)),
      base64ToBytes(saved.sealed) as BufferSource,
    );
  } catch {
    throw new Error('that passphrase does not open the saved keys');
  }
  return (JSON.parse(new TextDecoder().decode(plaintext)) as Array<{ name: string; bytes: string }>).map((f) => ({
    name: f.name,
    bytes: base64ToBytes(f.bytes),
  }));
}

/** Removes the saved keys from this browser. */
export function forgetKeys(): void {
  localStorage.removeItem(STORAGE_KEY);
}
