import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { prometheusProgram, stopProgram } from './prometheus-programs';
import { waitUntil } from './wait';

export interface ScrapeJob {
  job: string;
  /** http://host:port of a service whose /metrics is scraped. */
  address: string;
}

export interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusRule {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

/**
 * Debian's Prometheus, of the test's own: on a free loopback port, with its configuration and
 * data in a temporary directory that stop() removes. It scrapes and evaluates every second, so
 * what a dashboard or an alert reads shows within seconds.
 */
export class PrometheusServer {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
  }

  static async start(jobs: ScrapeJob[], ruleFiles: string[]): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'paysync-prometheus-'));
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: ruleFiles,
      scrape_configs: jobs.map(({ job, address }) => ({ job_name: job, static_configs: [{ targets: [new URL(address).host] }] })),
    };
    // JSON is YAML: Prometheus reads it as its configuration file.
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
    const port = await freePort();
    const child = spawn(
      prometheusProgram('prometheus'),
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    try {
      await waitUntil(() => `Prometheus to be ready; its output:\n${server.output.slice(-3000)}`, async () => (await fetch(`${server.url}/-/ready`)).status === 200, 60_000);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** An instant query: the series the expression returns now. */
  async query(expr: string): Promise<Series[]> {
    return (await this.api<{ result: Series[] }>(`query?query=${encodeURIComponent(expr)}`)).result;
  }

  async rules(): Promise<PrometheusRule[]> {
    return (await this.api<{ groups: { rules: PrometheusRule[] }[] }>('rules')).groups.flatMap((g) => g.rules);
  }

  async alerts(): Promise<PrometheusAlert[]> {
    return (await this.api<{ alerts: PrometheusAlert[] }>('alerts')).alerts;
  }

  private async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus answered ${res.status} to ${path}: ${body.error}`);
    return body.data;
  }

  /** SIGTERM, SIGKILL if it is still there after 15 s; then its directory goes. */
  async stop(): Promise<void> {
    await stopProgram(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
