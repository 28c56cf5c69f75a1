import type { FastifyInstance } from 'fastify';
import { errors } from './errors.ts';
import { mayReadMetrics, proxyList } from './metrics-access.ts';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.ts';
import type { MetricsSnapshot, SidecarMetrics } from './sidecar-metrics.ts';
import { sendRefusal } from '@mcp-fleet/bridge';

/** `GET /metrics`: Prometheus text, to loopback clients unless fleet.metrics.public. */
export async function metricsRoute(app: FastifyInstance, options: {
  metrics: SidecarMetrics;
  snapshot: () => MetricsSnapshot | Promise<MetricsSnapshot>;
  public: boolean;
  trustedProxies: readonly string[];
}): Promise<void> {
  const access = { public: options.public, trustedProxies: proxyList(options.trustedProxies) };
  app.get('/metrics', async (request, reply) => {
    if (!mayReadMetrics(request, access)) return sendRefusal(reply, errors.SIDECAR_ERR_METRICS_FORBIDDEN());
    const text = options.metrics.render(await options.snapshot());
    return reply.header('cache-control', 'no-store').type(PROMETHEUS_CONTENT_TYPE).send(text);
  });
}
