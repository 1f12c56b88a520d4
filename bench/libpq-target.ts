/** libpq tools get the URL without its password (it stays out of `ps`) and the password through PGPASSWORD. */
export function libpqTarget(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString(), env: { PATH: process.env.PATH ?? '', PGPASSWORD: password } };
}
