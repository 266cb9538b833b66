/** What the user types for a 6-digit authenticator code: spaces are allowed ("123 456"). */
export function cleanTotpCode(input: string): string {
  return input.replace(/[\s-]+/g, '');
}

/** A problem worth saying before any request is sent, or undefined when the code looks right. */
export function totpCodeProblem(input: string): string | undefined {
  const code = cleanTotpCode(input);
  if (code === '') return 'Enter the 6-digit code from your authenticator app.';
  if (!/^\d{6}$/.test(code)) return 'The code is 6 digits, for example 123456.';
  return undefined;
}

/** Recovery codes ignore case, spaces and dashes on the server; only an empty field is refused here. */
export function recoveryCodeProblem(input: string): string | undefined {
  return input.replace(/[\s-]+/g, '') === '' ? 'Enter one of your recovery codes.' : undefined;
}

/** The text of the downloaded (or copied) recovery-code file. */
export function recoveryCodesText(codes: readonly string[], account: string | undefined, issuedAt: Date): string {
  return [
    'Keyhaven recovery codes',
    ...(account ? [`Account: ${account}`] : []),
    `Generated: ${issuedAt.toISOString()}`,
    '',
    'Each code works once. Keep them somewhere safe, away from your phone and security keys.',
    'Generating new codes makes all of these stop working.',
    '',
    ...codes.map((code, i) => `${String(i + 1).padStart(2, ' ')}. ${code}`),
    '',
  ].join('\n');
}

/** A file name that sorts by date and never contains the account address. */
export function recoveryCodesFileName(issuedAt: Date): string {
  return `keyhaven-recovery-codes-${issuedAt.toISOString().slice(0, 10)}.txt`;
}
