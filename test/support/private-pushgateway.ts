import { spawn } from 'node:child_process';
import { freePort } from './free-port';
import { prometheusProgram, stopProgram } from './prometheus-programs';
import { waitUntil } from './wait';

/** Debian's Prometheus Pushgateway, of the test's own, on a free loopback port (metrics in memory only: Debian's default file is shared by every one); scrapeMetrics(url) reads it. */
export interface PrivatePushgateway {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startPushgateway(): Promise<PrivatePushgateway> {
  const port = await freePort();
  const child = spawn(prometheusProgram('prometheus-pushgateway'), [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  const gateway: PrivatePushgateway = {
    url,
    stop: () => stopProgram(child),
  };
  try {
    await waitUntil(() => `the Pushgateway to be ready; its output:\n${output.slice(-3000)}`, async () => (await fetch(`${url}/-/ready`)).status === 200, 60_000);
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  return gateway;
}
