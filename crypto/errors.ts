/**
 * The two ways protocol input can fail. Callers branch on the class, never on message text:
 * a server maps {@link FormatError} to 400, an owner app skips reports that raise
 * {@link AuthenticationError}.
 */

/**
 * Input is malformed: a wrong length, an out-of-range scalar, a point off the curve, bad text.
 * @example
 * try { parsePrivateKey(bytes) } catch (e) { if (e instanceof FormatError) console.log(e.message) }
 */
export class FormatError extends Error {
  override name = 'FormatError';
}

/**
 * A sealed location report did not authenticate: the key is not the one it was sealed to, or a
 * byte of the ephemeral key, ciphertext or tag was changed. Never returns partial plaintext.
 */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}
