// Secrets never reach logs or error messages: everything user-visible goes through redact().

/** A secret as it may be shown: `…` + its last 4 characters (only `…` when it is too short to hide). */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return '…';
  return `…${secret.slice(-4)}`;
}

/** Replaces every occurrence of each secret in `text` by its mask. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    out = out.split(secret).join(maskSecret(secret));
  }
  return out;
}
