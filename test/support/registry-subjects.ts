import { stackAddresses } from './stack-addresses';

async function registryCall(url: string, method: 'GET' | 'DELETE', allowMissing = false): Promise<unknown> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(30_000) });
  if (allowMissing && response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/** The registry's subjects whose name starts with `prefix` (a test's topic prefix plus "."). */
export async function subjectsStartingWith(prefix: string, registryUrl = stackAddresses().PAYSYNC_TEST_REGISTRY_URL): Promise<string[]> {
  const subjects = (await registryCall(`${registryUrl}/subjects`, 'GET')) as string[];
  return subjects.filter((s) => s.startsWith(prefix));
}

/** Removes those subjects for good: the Confluent API deletes softly first, then permanently. */
export async function deleteSubjectsStartingWith(prefix: string, registryUrl = stackAddresses().PAYSYNC_TEST_REGISTRY_URL): Promise<void> {
  for (const subject of await subjectsStartingWith(prefix, registryUrl)) {
    const at = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
    await registryCall(at, 'DELETE', true);
    await registryCall(`${at}?permanent=true`, 'DELETE', true);
  }
}
