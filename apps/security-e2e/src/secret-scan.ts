/** Where a secret shows up in a log. */
export interface SecretSighting {
  readonly secret: string;
  readonly form: 'plain' | 'base64' | 'base64url' | 'url-encoded';
  readonly line: number;
}

/**
 * Every line of `text` holding one of `secrets` as it is, base64-encoded or
 * URL-encoded (a careless log of a header or a URL would show them so).
 * Secrets shorter than 8 characters are refused: they would match by chance.
 */
export function findSecrets(text: string, secrets: readonly string[]): SecretSighting[] {
  const forms = secrets.flatMap((secret) => {
    if (secret.length < 8) {
      throw new Error(`secret "${secret}" is too short to scan for`);
    }
    const buffer = Buffer.from(secret);
    return [
      { secret, form: 'plain' as const, needle: secret },
      { secret, form: 'base64' as const, needle: buffer.toString('base64').replace(/=+$/, '') },
      { secret, form: 'base64url' as const, needle: buffer.toString('base64url') },
      { secret, form: 'url-encoded' as const, needle: encodeURIComponent(secret) },
    ].filter((f, i, all) => all.findIndex((g) => g.needle === f.needle) === i);
  });
  const sightings: SecretSighting[] = [];
  text.split('\n').forEach((line, index) => {
    for (const f of forms) {
      if (line.includes(f.needle)) {
        sightings.push({ secret: f.secret, form: f.form, line: index + 1 });
      }
    }
  });
  return sightings;
}
