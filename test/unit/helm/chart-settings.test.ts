import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Setting } from '@paysync/config';
import { COMMANDS } from '../../../services/cli/src/commands';
import { CHART_DIR, renderChart, workloadPods, type Manifest } from '../../support/helm';
import { VALUE_SETS } from './value-sets';

type AnySetting = Setting<unknown>;

/** Each command's settings by name, as the code defines them. */
const settingsOf = new Map(COMMANDS.map((c) => [c.name, new Map(Object.values(c.settings as Record<string, AnySetting>).map((s) => [s.env, s]))]));

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** The Secret key a file path reads, when the path lies in one of the pod's secret volumes. */
function secretFileAt(pod: any, container: any, path: string): { secret: string; key: string } | undefined { // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const mount of container.volumeMounts ?? []) {
    if (!path.startsWith(`${mount.mountPath}/`)) continue;
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    const key = path.slice(mount.mountPath.length + 1);
    const item = volume?.secret?.items?.find((i: { key: string; path: string }) => i.path === key);
    if (item) return { secret: volume.secret.secretName, key: item.key };
  }
  return undefined;
}

/** What is wrong with one env var of a container running `paysync <command>` (nothing: undefined). */
function problem(command: string, env: EnvVar, pod: unknown, container: unknown): string | undefined {
  const settings = settingsOf.get(command);
  if (!settings) return `the container runs ${command}, which is not a paysync command`;
  if (env.valueFrom !== undefined) return `${env.name} comes from valueFrom: secrets come only as files`;
  const value = env.value ?? '';
  const setting = settings.get(env.name);
  if (setting) {
    // A setting that names a file (…_FILE): a secret one must name a file of a mounted Secret.
    if (setting.secret && !secretFileAt(pod, container, value)) return `${env.name} is a secret but names ${value}, no file of a mounted Secret`;
    if (setting.secret || env.name.endsWith('_FILE')) return undefined;
    try {
      setting.parse(value);
    } catch (err) {
      return `${env.name}=${JSON.stringify(value)} is refused: ${(err as Error).message}`;
    }
    return undefined;
  }
  const base = env.name.replace(/_FILE$/, '');
  if (base !== env.name && settings.has(base) && !base.endsWith('_FILE')) {
    return secretFileAt(pod, container, value) ? undefined : `${env.name} names ${value}, no file of a mounted Secret`;
  }
  return `${env.name} is not a setting of paysync ${command}`;
}

describe.each(Object.entries(VALUE_SETS))('Helm chart with %s', (_name, values) => {
  let manifests: Manifest[];
  beforeAll(() => (manifests = renderChart(values)));

  it('gives each container only settings of its command, plain ones that parse, secrets only as files of mounted Secrets', () => {
    const problems = workloadPods(manifests).flatMap(({ name, pod, container }) => {
      const env = (container.env ?? []) as EnvVar[];
      const names = env.map((e) => e.name);
      const duplicates = names.filter((n, i) => names.indexOf(n) !== i).map((n) => `${n} is given twice`);
      const wrong = env.map((e) => problem(container.args[0], e, pod, container)).filter((p): p is string => p !== undefined);
      return [...duplicates, ...wrong, ...(container.envFrom ? ['envFrom is used'] : [])].map((p) => `${name}: ${p}`);
    });
    expect(problems).toEqual([]);
  });

  it('mounts every secret read-only and renders no Secret or ConfigMap of its own', () => {
    expect(manifests.filter((m) => m.kind === 'Secret' || m.kind === 'ConfigMap')).toEqual([]);
    for (const { container } of workloadPods(manifests)) {
      for (const mount of container.volumeMounts ?? []) expect(mount).toMatchObject({ readOnly: true });
    }
  });
});

describe('Helm chart secret settings', () => {
  it('are exactly the settings the code marks secret (templates/_secret-settings.tpl)', () => {
    const template = readFileSync(join(CHART_DIR, 'templates', '_secret-settings.tpl'), 'utf8');
    const listed = template.match(/^PAYSYNC_[A-Z0-9_]+$/gm) ?? [];
    const inCode = new Set([...settingsOf.values()].flatMap((settings) => [...settings.values()].filter((s) => s.secret).map((s) => s.env)));
    expect([...listed].sort()).toEqual([...inCode].sort());
  });
});
