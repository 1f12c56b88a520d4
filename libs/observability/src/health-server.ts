import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

export interface Readiness {
  ready: boolean;
  /** Why not ready (or what is checked), shown to whoever asks /readyz. */
  detail: Record<string, unknown>;
}

export interface HealthServerOptions {
  host: string;
  port: number;
  registry: Registry;
  logger: Logger;
  /** Alive: the process works (event loop turns, no fatal state). */
  alive?: () => boolean;
  /** Ready: connected and caught up enough to serve. */
  readiness: () => Readiness | Promise<Readiness>;
  /** The service's own routes (Fastify takes routes only before it listens). */
  routes?: (app: FastifyInstance) => void;
}

export interface HealthServer {
  readonly app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  close(): Promise<void>;
}

/** The HTTP face every service shows: /healthz, /readyz, /metrics, plus the service's own `routes`. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const app: FastifyInstance = Fastify({
    // Per-request lines (info) would drown the service's own logs; warnings and errors still show.
    loggerInstance: options.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  });
  app.get('/healthz', async (_req, reply) => {
    const alive = options.alive ? options.alive() : true;
    return reply.code(alive ? 200 : 503).send({ status: alive ? 'ok' : 'failing' });
  });
  app.get('/readyz', async (_req, reply) => {
    const { ready, detail } = await options.readiness();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', ...detail });
  });
  app.get('/metrics', async (_req, reply) => {
    return reply.type(options.registry.contentType).send(await options.registry.metrics());
  });
  options.routes?.(app);
  const address = await app.listen({ host: options.host, port: options.port });
  return { app, url: address, close: () => app.close() };
}
