import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { parse } from 'yaml';
import { loadConfig, type Settings } from '@paysync/config';
import { COMMANDS } from '../../services/cli/src/commands';
import { PAYMENTS_DDL } from '../../demo/payments-workload';
import { bindMount, composeServices, REPO_ROOT } from '../support/compose-file';
import { prometheusProgram } from '../support/prometheus-programs';

// docker-compose.yml cannot run here (no Docker engine): these checks read it as Compose would.
const services = composeServices();
const paysyncServices = Object.entries(services).filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');
const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
/** Where a service mounts a repo file, by the path inside the container. */
const mountOf = (service: string, container: string): string | undefined => services[service].volumes?.map(bindMount).find((m) => m.container === container)?.host;

describe('docker-compose.yml', () => {
  it('keeps the stack on the loopback ports npm test finds through the PAYSYNC_TEST_* addresses', () => {
    expect(services.postgres.ports).toEqual(['127.0.0.1:55432:5432']);
    expect(services.postgres.command).toEqual(expect.arrayContaining(['wal_level=logical']));
    expect(services.mariadb.ports).toEqual(['127.0.0.1:53306:3306']);
    expect(services.kafka.ports).toEqual(['127.0.0.1:59092:59092']);
    expect(services.registry.ports).toEqual(['127.0.0.1:58081:8080']);
    expect(read('docker-compose.yml')).toContain('docker compose up -d postgres mariadb kafka registry');
  });

  it('runs capture (two replicas), apply and the reconciler from the image deploy/Dockerfile builds', () => {
    expect(paysyncServices.map(([name, s]) => [name, s.command, s.deploy?.replicas ?? 1])).toEqual([
      ['capture', ['capture'], 2],
      ['apply', ['apply'], 1],
      ['reconciler', ['reconcile'], 1],
    ]);
    for (const [, s] of paysyncServices) expect(existsSync(join(REPO_ROOT, s.build!.context, s.build!.dockerfile))).toBe(true);
  });

  it.each(paysyncServices)('gives %s only settings of its command, which accepts them all', (_name, service) => {
    const command = COMMANDS.find((c) => c.name === service.command![0])!;
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
    const known = new Set(Object.values(command.settings as Settings).map((s) => s.env));
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    // Every required setting given, every value valid: the command would start.
    expect(() => loadConfig(command.settings as Settings, { env })).not.toThrow();
  });

  it('names only services that exist, waiting for health only where a healthcheck is, for completion only of one-shot services', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect([name, dependency, dependency in services]).toEqual([name, dependency, true]);
        if (condition === 'service_healthy') expect([name, dependency, services[dependency].healthcheck !== undefined]).toEqual([name, dependency, true]);
        else if (condition === 'service_completed_successfully') expect([name, dependency, services[dependency].restart]).toEqual([name, dependency, undefined]);
        else expect(condition).toBe('service_started');
      }
    }
  });

  it('has the registry keep its schemas in a PostgreSQL database of its own, which the postgres service makes', () => {
    const env = services.registry.environment ?? {};
    expect(env).toMatchObject({ APICURIO_STORAGE_KIND: 'sql', APICURIO_STORAGE_SQL_KIND: 'postgresql', APICURIO_DATASOURCE_URL: 'jdbc:postgresql://postgres:5432/paysync_registry' });
    const init = read(mountOf('postgres', '/docker-entrypoint-initdb.d/registry.sql')!);
    expect(init).toContain(`CREATE ROLE ${env.APICURIO_DATASOURCE_USERNAME} LOGIN PASSWORD '${env.APICURIO_DATASOURCE_PASSWORD}';`);
    expect(init).toContain(`CREATE DATABASE paysync_registry OWNER ${env.APICURIO_DATASOURCE_USERNAME};`);
    expect(services.registry.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
  });

  it('mounts only files and folders of the repo', () => {
    const missing = Object.values(services)
      .flatMap((s) => (s.volumes ?? []).map(bindMount))
      .filter((m) => !existsSync(join(REPO_ROOT, m.host)))
      .map((m) => m.host);
    expect(missing).toEqual([]);
  });

  it('loads the payments source of the demo, statement for statement, with load scripts that exist', () => {
    const schema = read('deploy/compose/payments/schema.sql').replace(/^--.*\n/gm, '');
    expect(schema).toBe(PAYMENTS_DDL.map((s) => `${s};\n`).join(''));
    expect(mountOf('payments-load', '/payments')).toBe('./deploy/compose/payments');
    const scripts = services['payments-load'].command!.filter((a) => a.startsWith('--file=')).map((a) => a.replace(/^--file=\/payments\/(.*)@\d+$/, '$1'));
    expect(scripts).toEqual(['transfer.sql', 'new-account.sql']);
    for (const script of [...scripts, 'schema.sh']) expect(existsSync(join(REPO_ROOT, 'deploy/compose/payments', script))).toBe(true);
  });

  it('has Prometheus evaluate deploy/prometheus/alerts.yml and scrape every paysync service on its port, one job each', () => {
    const configPath = 'deploy/compose/prometheus.yml';
    const config = parse(read(configPath)) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    // The rule path is relative to the config, in the container as in the repo.
    const containerConfig = services.prometheus.command!.find((a) => a.startsWith('--config.file='))!.split('=')[1];
    expect(mountOf('prometheus', containerConfig)).toBe(`./${configPath}`);
    const rulesInContainer = posix.join(posix.dirname(containerConfig), config.rule_files[0]);
    expect(mountOf('prometheus', rulesInContainer)).toBe(`./${posix.join(dirname(configPath), config.rule_files[0])}`);
    expect(mountOf('prometheus', rulesInContainer)).toBe('./deploy/prometheus/alerts.yml');

    const scraped = config.scrape_configs.flatMap((job) => [
      ...(job.static_configs ?? []).flatMap((c) => c.targets),
      ...(job.dns_sd_configs ?? []).flatMap((c) => c.names.map((n) => `${n}:${c.port}`)),
    ]);
    expect(scraped.sort()).toEqual(paysyncServices.map(([name]) => `${name}:8080`).sort());

    const check = spawnSync(prometheusProgram('promtool'), ['check', 'config', configPath], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect({ status: check.status, output: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('has Grafana provision that Prometheus and the paysync dashboard as its home page', () => {
    expect(mountOf('grafana', '/etc/grafana/provisioning')).toBe('./deploy/grafana/provisioning');
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { type: string; url: string; isDefault: boolean }[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true })]);
    expect(services.prometheus.ports).toEqual(['127.0.0.1:59090:9090']);

    const providers = parse(read('deploy/grafana/provisioning/dashboards/paysync.yml')) as { providers: { type: string; options: { path: string } }[] };
    const dashboard = `${providers.providers[0].options.path}/paysync.json`;
    expect(mountOf('grafana', dashboard)).toBe('./deploy/grafana/paysync.json');
    expect(services.grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(dashboard);
  });
});
