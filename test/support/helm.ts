import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const REPO = join(__dirname, '..', '..');
export const CHART_DIR = join(REPO, 'deploy', 'helm', 'paysync');
/** Built by deploy/helm/tool/build.sh, which `npm run stack:up` runs. */
const HELM = join(REPO, '.stack', 'cache', 'bin', 'helm');

/** A rendered Kubernetes object, as loosely typed as YAML gives it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec: any;
}

function helmPath(): string {
  if (!existsSync(HELM)) {
    throw new Error(`helm is missing at ${HELM}: run npm run stack:up, or bash deploy/helm/tool/build.sh (it builds the pinned helm with go)`);
  }
  return HELM;
}

/** Runs helm on the chart with `values` in a file of its own, as a user's -f would give them. */
function helm(command: 'template' | 'lint', values: object, extra: string[] = []): string {
  const program = helmPath();
  const dir = mkdtempSync(join(tmpdir(), 'paysync-helm-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const args = command === 'template' ? ['template', 'pay', CHART_DIR, '-f', file, ...extra] : ['lint', CHART_DIR, '--strict', '-f', file, ...extra];
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    throw new Error(`helm ${command} failed: ${stderr || stdout || (err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template` of the chart with these values: every object it renders. */
export function renderChart(values: object): Manifest[] {
  const docs = parseAllDocuments(helm('template', values));
  if (!Array.isArray(docs)) throw new Error('helm template printed no YAML documents');
  for (const doc of docs) if (doc.errors.length > 0) throw new Error(`helm template printed invalid YAML: ${doc.errors[0].message}`);
  return docs.map((doc) => doc.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

/** `helm lint --strict` with these values: its output (it throws on a failure). */
export function lintChart(values: object): string {
  return helm('lint', values);
}

/** The message a render refused with (the chart's `fail`), or undefined if it rendered. */
export function renderError(values: object): string | undefined {
  try {
    renderChart(values);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The pod spec and its one container of each Deployment rendered. */
export function deploymentPods(manifests: Manifest[]): { name: string; replicas: number; pod: any; container: any }[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return manifests
    .filter((m) => m.kind === 'Deployment')
    .map((m) => ({ name: m.metadata.name, replicas: m.spec.replicas, pod: m.spec.template.spec, container: m.spec.template.spec.containers[0] }));
}

/** The pod spec and its one container of every workload rendered: each Deployment's, and each CronJob's Job's. */
export function workloadPods(manifests: Manifest[]): { name: string; pod: any; container: any }[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const jobs = manifests
    .filter((m) => m.kind === 'CronJob')
    .map((m) => ({ name: m.metadata.name, pod: m.spec.jobTemplate.spec.template.spec, container: m.spec.jobTemplate.spec.template.spec.containers[0] }));
  return [...deploymentPods(manifests), ...jobs];
}
