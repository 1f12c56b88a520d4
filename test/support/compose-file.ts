import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const REPO_ROOT = join(__dirname, '..', '..');

/** One service of docker-compose.yml, as far as its tests read it. */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  deploy?: { replicas?: number };
}

/** docker-compose.yml with its `<<` merge keys resolved, as Docker Compose reads it. */
export function composeServices(): Record<string, ComposeService> {
  const text = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  return (parse(text, { merge: true }) as { services: Record<string, ComposeService> }).services;
}

/** A short-syntax bind mount "./host:/container[:ro]" split in its two paths. */
export function bindMount(volume: string): { host: string; container: string } {
  const [host, container] = volume.split(':');
  return { host, container };
}
