/**
 * A real OTLP/HTTP trace receiver on loopback for the tests: POST /v1/traces, decoded from
 * http/json (JSON) or http/protobuf (ExportTraceServiceRequest, decoded with protobufjs from the
 * opentelemetry-proto messages below, independently of the SDK's own encoder).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

// opentelemetry-proto: collector/trace/v1, trace/v1, common/v1, resource/v1 — the fields the tests read
// (events and links are skipped as unknown fields). Field numbers are the wire contract.
const PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10; Status status = 15;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
                ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const Request = protobuf.parse(PROTO, { keepCase: false }).root.lookupType('otlp.ExportTraceServiceRequest');

export type AttrValue = string | number | boolean | AttrValue[] | null;

/** One received span, the same shape whichever protocol carried it. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttrValue>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, AttrValue>;
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  spans: ReceivedSpan[];
}

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly errors: string[] = [];
  /** Bytes received, decoded or not. */
  bytes = 0;
  #server: Server | undefined;

  /** decode: false only counts bytes (a stand-in collector that costs the test process nothing). */
  constructor(private readonly opts: { decode?: boolean } = {}) {}

  /** Listens on 127.0.0.1 (a free port); `origin` is the OTEL_EXPORTER_OTLP_ENDPOINT to use. */
  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        try {
          const body = Buffer.concat(chunks);
          this.bytes += body.length;
          if (this.opts.decode === false) {
            res.writeHead(200).end();
            return;
          }
          const json = (req.headers['content-type'] ?? '').includes('json');
          this.requests.push({
            headers: req.headers,
            spans: json ? fromJson(JSON.parse(body.toString('utf8'))) : fromProtobuf(body),
          });
          res
            .writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
            .end(json ? '{}' : undefined);
        } catch (e) {
          this.errors.push((e as Error).message);
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  get spans(): ReceivedSpan[] {
    return this.requests.flatMap((r) => r.spans);
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** A loopback port with nothing listening: connections are refused at once. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// --- decoding -------------------------------------------------------------------------------

type Obj = Record<string, any>;

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const msg = Request.toObject(Request.decode(body), { longs: String, bytes: Array, defaults: true, oneofs: false });
  const hex = (b: number[] | undefined) => Buffer.from(b ?? []).toString('hex');
  return spansOf(msg, (s) => ({
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentSpanId: hex(s.parentSpanId),
    startNs: BigInt(s.startTimeUnixNano),
    endNs: BigInt(s.endTimeUnixNano),
  }));
}

/** OTLP/JSON: ids are hex strings, 64-bit integers may be strings (spec). */
function fromJson(body: Obj): ReceivedSpan[] {
  return spansOf(body, (s) => ({
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? '',
    startNs: BigInt(s.startTimeUnixNano),
    endNs: BigInt(s.endTimeUnixNano),
  }));
}

function spansOf(
  req: Obj,
  ids: (s: Obj) => Pick<ReceivedSpan, 'traceId' | 'spanId' | 'parentSpanId' | 'startNs' | 'endNs'>,
): ReceivedSpan[] {
  return (req.resourceSpans ?? []).flatMap((rs: Obj) => {
    const resource = attrs(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss: Obj) =>
      (ss.spans ?? []).map((s: Obj) => ({
        ...ids(s),
        name: s.name,
        kind: s.kind ?? 0,
        attributes: attrs(s.attributes),
        status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
        resource,
      })),
    );
  });
}

function attrs(kvs: Obj[] | undefined): Record<string, AttrValue> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

function anyValue(v: Obj | undefined): AttrValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(anyValue);
  return null;
}
