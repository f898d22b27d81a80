/**
 * Serves the household web page on Node: the engine-neutral HttpServer and
 * WebApp over node:net. This is what `xsmeter sim --http-port` calls.
 */
import { webcrypto } from "node:crypto";
import type { Clock } from "../../../modules/core/clock";
import type { Household } from "../../../modules/core/household";
import { HttpServer } from "../../../modules/http/server";
import { DEFAULT_LIMITS, type HttpLimits } from "../../../modules/http/limits";
import { WebApp, type DisplayMirror } from "../../../modules/http/web-app";
import { ASSETS } from "../../../modules/http/static-assets";
import { NodeNetwork } from "./node-network";

export interface WebServerOptions {
  household: Household;
  port: number;
  host?: string;
  clock: Clock;
  display?: DisplayMirror;
  /** Reading without sign-in (default true). */
  readOpen?: boolean;
  pbkdf2Iterations?: number;
  /** The persisted sign-in record and where a new one goes (else a restart reopens first use). */
  storedPassword?: string;
  savePassword?(record: string): void;
  limits?: Partial<HttpLimits>;
  utcOffsetMin?: number;
  /** Host names the page answers to besides localhost and IP literals (DNS rebinding guard). */
  allowedHosts?: readonly string[];
  /** Told the setup code when no password is set yet (the sim prints it). */
  onSetupCode?(code: string): void;
  /** Global budget of sign-in guesses. */
  loginBudget?: { burst: number; refillMs: number };
  /** Rejected requests (status, reason) — for logs. */
  onRejected?(status: number, reason: string, remote: string): void;
}

export interface WebServer {
  port: number;
  url: string;
  close(): Promise<void>;
  /** For tests and the benchmark. */
  server: HttpServer;
  app: WebApp;
}

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  const app = new WebApp({
    limits,
    allowedHosts: o.allowedHosts,
    onSetupCode: o.onSetupCode,
    loginBudget: o.loginBudget,
    household: o.household,
    clock: o.clock,
    random: { fill: (b) => void webcrypto.getRandomValues(b) },
    assets: ASSETS,
    display: o.display,
    readOpen: o.readOpen,
    pbkdf2Iterations: o.pbkdf2Iterations,
    storedPassword: o.storedPassword,
    savePassword: o.savePassword,
    utcOffsetMin: o.utcOffsetMin,
  });
  const server = new HttpServer({
    network: new NodeNetwork(),
    clock: o.clock,
    handler: app.handle,
    limits,
    onRejected: o.onRejected,
    onError: (e) => console.error("xsmeter http:", e),
  });
  const host = o.host ?? "127.0.0.1";
  const port = await server.listen(o.port, host);
  return {
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    server,
    app,
    async close() {
      app.close();
      server.close();
    },
  };
}
