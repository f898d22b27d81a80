/**
 * The limits of the HTTP server (REFERENCES.md §10). Moddable's own `http`
 * module has none of these; a meter on a home network must survive a
 * misbehaving or hostile client without running out of its ~160 KB.
 */
export interface HttpLimits {
  /** Longest request line, bytes without CRLF (414 beyond). */
  maxRequestLine: number;
  /** Longest single header line (431 beyond). */
  maxHeaderLine: number;
  /** All header lines together (431 beyond). */
  maxHeaderBytes: number;
  /** Number of header fields (431 beyond). */
  maxHeaders: number;
  /** Largest request body (413 beyond). Forms and JSON only: small. */
  maxBodyBytes: number;
  /** Time from a request's first byte to the end of its headers (408 after). */
  headerTimeoutMs: number;
  /** Time to receive the body once the headers are in (408 after). */
  bodyTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Requests served on one connection before it is closed. */
  maxRequestsPerConnection: number;
  /** Open connections at once; beyond, the longest-idle keep-alive connection is closed for the newcomer, else 503. */
  maxConnections: number;
  /** Open connections from one address (one client cannot hold every slot). */
  maxConnectionsPerAddress: number;
  /** Server-Sent Event streams at once (each holds a connection); at most maxConnections − 1, so one slot is always left for a request. */
  maxEventStreams: number;
  /** Event streams from one address. */
  maxEventStreamsPerAddress: number;
  /** An event stream is ended after this (the browser's EventSource reconnects), so none is held for ever. */
  eventStreamLifetimeMs: number;
  /** Bytes of pipelined requests held while a response is in progress. */
  maxPipelinedBytes: number;
  /** Output queued on a socket before the next pipelined request waits for drain. */
  writeHighWater: number;
}

export const DEFAULT_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxRequestLine: 1024,
  maxHeaderLine: 1024,
  maxHeaderBytes: 8192,
  maxHeaders: 32,
  maxBodyBytes: 4096,
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  keepAliveTimeoutMs: 15_000,
  maxRequestsPerConnection: 1000,
  maxConnections: 16,
  maxConnectionsPerAddress: 8,
  maxEventStreams: 6,
  maxEventStreamsPerAddress: 2,
  eventStreamLifetimeMs: 10 * 60_000,
  maxPipelinedBytes: 16_384,
  writeHighWater: 16_384,
});

/** Smaller limits for the board: fewer connections, 4 KiB of headers. */
export const BOARD_LIMITS: Readonly<HttpLimits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxHeaderBytes: 4096,
  maxConnections: 6,
  maxConnectionsPerAddress: 4,
  maxEventStreams: 2,
  maxEventStreamsPerAddress: 1,
  maxPipelinedBytes: 4096,
  writeHighWater: 4096,
});

export const STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze({
  100: "Continue",
  200: "OK",
  204: "No Content",
  303: "See Other",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  417: "Expectation Failed",
  421: "Misdirected Request",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
});
