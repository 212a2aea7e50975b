import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `tessera login` keeps: one token per server URL (file mode 0600, its folder 0700). */
interface CredentialsFile {
  servers: Record<string, { token: string; principal: string; savedAt: string }>;
}

/** $TESSERA_CREDENTIALS, else $XDG_CONFIG_HOME/tessera/credentials.json, else ~/.config/tessera/credentials.json. */
export function credentialsPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env['TESSERA_CREDENTIALS']) return env['TESSERA_CREDENTIALS'];
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'tessera', 'credentials.json');
}

export function savedToken(path: string, serverUrl: string): string | undefined {
  return read(path).servers[serverUrl]?.token;
}

export function saveToken(path: string, serverUrl: string, token: string, principal: string): void {
  const file = read(path);
  file.servers[serverUrl] = { token, principal, savedAt: new Date().toISOString() };
  write(path, file);
}

/** True when a token for the server was there to forget. */
export function forgetToken(path: string, serverUrl: string): boolean {
  const file = read(path);
  if (!file.servers[serverUrl]) return false;
  delete file.servers[serverUrl];
  write(path, file);
  return true;
}

function read(path: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { servers: {} };
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>;
    return { servers: parsed.servers && typeof parsed.servers === 'object' ? parsed.servers : {} };
  } catch {
    throw new Error(`${path} is not valid JSON: fix or delete it, then run tessera login again`);
  }
}

function write(path: string, file: CredentialsFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Written beside and renamed into place, created 0600: the token is never readable by others, even briefly.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}
