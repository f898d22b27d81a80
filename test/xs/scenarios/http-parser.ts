// XS conformance: the HTTP request parser's verdicts on valid and hostile requests, and PBKDF2.
import { utf8Encode, toHex } from "../../../modules/core/bytes";
import { DEFAULT_LIMITS } from "../../../modules/http/limits";
import { HttpError, RequestParser } from "../../../modules/http/request-parser";
import { pbkdf2Sha256 } from "../../../modules/http/auth";

const REQUESTS = [
  "GET /graph?series=load:oven HTTP/1.1\r\nHost: meter\r\nAccept-Encoding: gzip\r\n\r\n",
  "POST /login HTTP/1.1\r\nHost: m\r\nContent-Length: 11\r\n\r\npassword=ab",
  "POST /login HTTP/1.1\r\nHost: m\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  "GET /%2e%2e/etc HTTP/1.1\r\nHost: m\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: m\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
  "POST / HTTP/1.1\r\nHost: m\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
  "PUT / HTTP/1.1\r\nHost: m\r\n\r\n",
  `GET /${"a".repeat(1100)} HTTP/1.1\r\n`,
  "GET / HTTP/1.1\nHost: m\n\n",
];

function verdict(text: string): unknown {
  const p = new RequestParser(DEFAULT_LIMITS);
  try {
    p.push(utf8Encode(text));
    const r = p.take();
    return r ? { method: r.method, path: r.path, query: r.query, keepAlive: r.keepAlive, body: r.body.length } : "incomplete";
  } catch (e) {
    return (e as HttpError).status;
  }
}

export function run(): unknown {
  return {
    verdicts: REQUESTS.map(verdict),
    pbkdf2: toHex(pbkdf2Sha256(utf8Encode("password"), utf8Encode("salt"), 2)),
  };
}

export const probes = {
  parseDashboardRequest(): unknown {
    return verdict(REQUESTS[0]);
  },
  pbkdf2x100(): unknown {
    return toHex(pbkdf2Sha256(utf8Encode("household pw"), utf8Encode("0123456789abcdef"), 100)).slice(0, 8);
  },
};
