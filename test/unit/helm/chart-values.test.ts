import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentPods, renderChart, renderError, workloadPods, type Manifest } from '../../support/helm';
import { APPLY_TO_TWO_TARGETS, CAPTURE_ONLY, EVERYTHING_ON, VALUE_SETS } from './value-sets';

const names = (manifests: Manifest[], kind: string): string[] => manifests.filter((m) => m.kind === kind).map((m) => m.metadata.name).sort();
const envOf = (container: { env: { name: string; value: string }[] }): Record<string, string> => Object.fromEntries(container.env.map((e) => [e.name, e.value]));

describe('Helm chart renders as the README and values.yaml say', () => {
  it('by default: capture, two replicas, each preferably on its own node, rolled a pod at a time with a standby always up', () => {
    const manifests = renderChart({});
    expect(manifests.map((m) => `${m.kind} ${m.metadata.name}`).sort()).toEqual(['Deployment pay-paysync-capture', 'PodDisruptionBudget pay-paysync-capture']);
    const capture = manifests.find((m) => m.kind === 'Deployment')!;
    expect(capture.spec).toMatchObject({ replicas: 2, minReadySeconds: 30, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    const pod = capture.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm).toEqual({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: capture.spec.selector.matchLabels },
    });
    expect(pod.containers[0]).toMatchObject({ image: 'paysync:0.1.0', args: ['capture'], resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } } });
  });

  it('capture only: the topic partitions reach capture, and no apply or reconciler runs', () => {
    const manifests = renderChart({ ...CAPTURE_ONLY, topicPartitions: 6 });
    expect(names(manifests, 'Deployment')).toEqual(['pay-paysync-capture']);
    expect(deploymentPods(manifests)[0].container.env).toContainEqual({ name: 'PAYSYNC_TOPIC_PARTITIONS', value: '6' });
  });

  it('apply to two targets: one Deployment per target with its replicas, one disruption budget each', () => {
    const manifests = renderChart(APPLY_TO_TWO_TARGETS);
    expect(deploymentPods(manifests).map(({ name, replicas, container }) => [name, replicas, container.args])).toEqual([
      ['pay-paysync-apply-replica', 3, ['apply']],
      ['pay-paysync-apply-reporting', 1, ['apply']],
    ]);
    const budgets = manifests.filter((m) => m.kind === 'PodDisruptionBudget');
    expect(budgets.map((b) => [b.metadata.name, b.spec])).toEqual(
      ['replica', 'reporting'].map((target) => [
        `pay-paysync-apply-${target}`,
        {
          maxUnavailable: 1,
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
          selector: { matchLabels: { 'app.kubernetes.io/name': 'paysync', 'app.kubernetes.io/instance': 'pay', 'app.kubernetes.io/component': 'apply', 'paysync/target': target } },
        },
      ]),
    );
    for (const { pod } of deploymentPods(manifests)) expect(pod.terminationGracePeriodSeconds).toBe(60);
  });

  it('everything on: a reconciler and its Service per target, the PodMonitor and the NetworkPolicy', () => {
    const manifests = renderChart(EVERYTHING_ON);
    expect(names(manifests, 'Deployment')).toEqual([
      'pay-paysync-apply-replica',
      'pay-paysync-apply-reporting',
      'pay-paysync-capture',
      'pay-paysync-reconciler-replica',
      'pay-paysync-reconciler-reporting',
    ]);
    expect(names(manifests, 'PodDisruptionBudget')).toEqual(names(manifests, 'Deployment'));
    expect(names(manifests, 'Service')).toEqual(['pay-paysync-reconciler-replica', 'pay-paysync-reconciler-reporting']);
    const reconciler = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'pay-paysync-reconciler-replica')!;
    expect(reconciler.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    expect(reconciler.spec.template.spec).toMatchObject({ terminationGracePeriodSeconds: 30, containers: [{ args: ['reconcile'] }] });

    const [monitor] = manifests.filter((m) => m.kind === 'PodMonitor');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(monitor.spec.podMetricsEndpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    expect(monitor.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'paysync', 'app.kubernetes.io/instance': 'pay' });
    // deploy/prometheus/alerts.yml groups by job: one job per Deployment.
    expect(monitor.spec.jobLabel).toBe('paysync/job');
    for (const d of manifests.filter((m) => m.kind === 'Deployment')) expect(d.spec.template.metadata.labels['paysync/job']).toBe(d.metadata.name);

    const [policy] = manifests.filter((m) => m.kind === 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([{ from: EVERYTHING_ON.networkPolicy.ingressFrom, ports: [{ port: 'http' }] }]);
    expect(policy.spec.egress).toEqual([{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }, ...EVERYTHING_ON.networkPolicy.egress]);
  });

  it('a NetworkPolicy without peers lets nothing in and everything out', () => {
    const [policy] = renderChart({ networkPolicy: { enabled: true } }).filter((m) => m.kind === 'NetworkPolicy');
    expect(policy.spec).toMatchObject({ policyTypes: ['Ingress'], ingress: [] });
    expect(policy.spec.egress).toBeUndefined();
  });

  it('the drill: a weekly CronJob of `paysync drill`, never two at once nor retried, into the scratch database of its own Secret', () => {
    const manifests = renderChart(EVERYTHING_ON);
    expect(names(manifests, 'CronJob')).toEqual(['pay-paysync-drill']);
    const drill = manifests.find((m) => m.kind === 'CronJob')!;
    expect(drill.spec).toMatchObject({
      schedule: '0 3 * * 0',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: { backoffLimit: 0, activeDeadlineSeconds: 21600 } },
    });
    const pod = drill.spec.jobTemplate.spec.template.spec;
    expect(pod).toMatchObject({ restartPolicy: 'Never', terminationGracePeriodSeconds: 60 });
    const [container] = pod.containers;
    expect(container.args).toEqual(['drill']);
    const apply = deploymentPods(manifests).find((p) => p.name === 'pay-paysync-apply-replica')!;
    expect(container.resources).toEqual(apply.container.resources);
    // It serves no HTTP (it ends by itself): no port to scrape, nothing to probe.
    expect([container.ports, container.startupProbe, container.livenessProbe, container.readinessProbe]).toEqual([undefined, undefined, undefined, undefined]);
    const env = envOf(container);
    expect(env).toMatchObject({
      PAYSYNC_TARGET_URL_FILE: '/etc/paysync/secrets/paysync-drill/scratch-url',
      PAYSYNC_DRILL_CREATE_DATABASE: 'true',
      PAYSYNC_DRILL_PUSHGATEWAY_URL_FILE: '/etc/paysync/secrets/paysync-drill/pushgateway-url',
      PAYSYNC_DRILL_OVERDUE_SECONDS: '691200',
      PAYSYNC_TABLES: 'public.accounts,public.transfers',
      PAYSYNC_SOURCE_URL_FILE: '/etc/paysync/secrets/paysync-source/url',
      PAYSYNC_SLOT: 'paysync',
      PAYSYNC_SCHEMA_REGISTRY_URL_FILE: '/etc/paysync/secrets/paysync-registry/url',
      PAYSYNC_GROUP_ID: 'paysync-drill-weekly',
    });
    // No target's settings: its mapping, group and database stay the target's.
    expect(Object.keys(env)).not.toContain('PAYSYNC_TABLE_MAPPING');
  });

  it('the drill with only its scratch database: shared\'s tables, an existing database, nothing pushed', () => {
    const drill = { enabled: true, scratchDatabase: { url: { existingSecret: 'paysync-drill', key: 'scratch-url' } } };
    const [job] = workloadPods(renderChart({ ...CAPTURE_ONLY, drill })).filter((p) => p.name === 'pay-paysync-drill');
    const env = envOf(job.container);
    expect(env).toMatchObject({ PAYSYNC_TABLES: 'public.accounts,public.transfers,public.ledger', PAYSYNC_DRILL_CREATE_DATABASE: 'false' });
    expect(Object.keys(env)).not.toContain('PAYSYNC_DRILL_PUSHGATEWAY_URL_FILE');
  });

  it.each(Object.entries(VALUE_SETS))('with %s, runs every pod as deploy/Dockerfile\'s user, non-root on a read-only root filesystem', (_name, values) => {
    expect(readFileSync(join(__dirname, '..', '..', '..', 'deploy', 'Dockerfile'), 'utf8')).toMatch(/^USER node$/m); // uid 1000 in the node images
    for (const { pod, container } of workloadPods(renderChart(values))) {
      expect(pod).toMatchObject({ automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 } });
      expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
  });
});

describe('Helm chart refuses values that would go wrong at run time', () => {
  const target = APPLY_TO_TWO_TARGETS.targets[0];
  const drill = { enabled: true, scratchDatabase: { url: { existingSecret: 'paysync-drill', key: 'scratch-url' } } };
  it.each([
    ['a secret as a plain setting', { source: { settings: { PAYSYNC_SOURCE_URL: 'postgres://u:p@db/x' } } }, 'capture: PAYSYNC_SOURCE_URL is a secret: give it under secrets'],
    ['a secret without its key', { source: { secrets: { PAYSYNC_SOURCE_URL: { existingSecret: 'paysync-source' } } } }, 'capture: secrets.PAYSYNC_SOURCE_URL needs existingSecret and key'],
    ['a setting both ways', { capture: { settings: { PAYSYNC_SLOT: 'a' }, secrets: { PAYSYNC_SLOT: { existingSecret: 's', key: 'slot' } } } }, 'capture: PAYSYNC_SLOT is given both under settings and under secrets'],
    ['a setting the chart sets', { capture: { settings: { PAYSYNC_HTTP_PORT: 9000 } } }, 'capture: PAYSYNC_HTTP_PORT is set by the chart'],
    ['more apply replicas than partitions', { targets: [{ ...target, apply: { replicas: 4 } }] }, 'targets[replica].apply.replicas=4: at most 3 (topicPartitions of each table topic)'],
    ['transactional apply on two replicas', { targets: [{ ...target, apply: { replicas: 2, settings: { PAYSYNC_APPLY_MODE: 'transactional' } } }] }, 'targets[replica].apply.replicas=2: at most 1 (transactional mode'],
    ['a target name that is no DNS label', { targets: [{ ...target, name: 'Replica_1' }] }, 'targets: name "Replica_1" must be a DNS label'],
    ['a target listed twice', { targets: [target, target] }, 'targets: replica is listed twice'],
    ['the drill without its scratch database', { drill: { enabled: true } }, 'drill.scratchDatabase.url: give the scratch database\'s PAYSYNC_TARGET_URL as {existingSecret, key}'],
    ['the drill allowed to run twice at once', { drill: { ...drill, concurrencyPolicy: 'Allow' } }, 'drill.concurrencyPolicy=Allow: Forbid or Replace'],
    ['the drill\'s database among its secrets', { drill: { ...drill, secrets: { PAYSYNC_TARGET_URL: { existingSecret: 'paysync-replica', key: 'url' } } } }, 'drill: PAYSYNC_TARGET_URL is set by the chart'],
    ['the Pushgateway URL as plain text', { drill: { ...drill, pushgatewayUrl: 'http://pushgateway.monitoring:9091' } }, 'drill.pushgatewayUrl: {existingSecret, key} of a Secret'],
  ])('%s', (_name, values, message) => {
    expect(renderError(values)).toContain(message);
  });
});
