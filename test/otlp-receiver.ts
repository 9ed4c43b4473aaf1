/**
 * A real OTLP/HTTP metrics receiver for tests: a node:http server on 127.0.0.1 that takes what an
 * OpenTelemetry exporter POSTs to /v1/metrics (JSON encoding, `ExportMetricsServiceRequest`, gzip or not) and
 * keeps each request's headers and decoded body. `mode` makes it answer like a broken collector: 500, or
 * never (the request hangs until the receiver closes).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export type KeyValue = { key: string; value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean } };
export interface NumberPoint {
  attributes?: KeyValue[];
  startTimeUnixNano: string | number;
  timeUnixNano: string | number;
  asDouble?: number;
  asInt?: number | string;
}
export interface HistogramPoint {
  attributes?: KeyValue[];
  startTimeUnixNano: string | number;
  timeUnixNano: string | number;
  count: number | string;
  sum?: number;
  bucketCounts: (number | string)[];
  explicitBounds: number[];
}
export interface OtlpMetric {
  name: string;
  description?: string;
  unit?: string;
  sum?: { dataPoints: NumberPoint[]; aggregationTemporality: number; isMonotonic?: boolean };
  gauge?: { dataPoints: NumberPoint[] };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality: number };
}
export interface OtlpExportRequest {
  resourceMetrics: { resource?: { attributes?: KeyValue[] }; scopeMetrics: { scope?: { name?: string; version?: string }; metrics: OtlpMetric[] }[] }[];
}
export interface ReceivedExport {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body as received (after gzip), to search for strings that must never be sent. */
  raw: string;
  body: OtlpExportRequest;
}

export interface OtlpReceiver {
  url: string;
  port: number;
  /** Every request, in order (those answered 500 or left hanging included). */
  received: ReceivedExport[];
  mode: 'ok' | 'error500' | 'hang';
  close(): Promise<void>;
}

export async function startOtlpReceiver(port = 0): Promise<OtlpReceiver> {
  const received: ReceivedExport[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let buf = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') buf = zlib.gunzipSync(buf);
      const raw = buf.toString('utf8');
      received.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) as OtlpExportRequest });
      if (receiver.mode === 'hang') return;
      if (receiver.mode === 'error500') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":13,"message":"collector broke"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    mode: 'ok',
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}

/** Attributes as a plain object (string values). */
export function attrs(kvs: KeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, String(kv.value.stringValue ?? kv.value.intValue ?? kv.value.doubleValue ?? kv.value.boolValue)]));
}

/** Every metric of one export, by name. */
export function metricsByName(e: ReceivedExport): Map<string, OtlpMetric> {
  const out = new Map<string, OtlpMetric>();
  for (const rm of e.body.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out.set(m.name, m);
  return out;
}
