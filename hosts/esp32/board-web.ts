// The household web page served by the meter itself: the http room's
// HttpServer + WebApp on the board's Network port (http-adapter.ts, ECMA-419
// sockets), as hosts/node/http/serve.ts builds them on node:net. Hardware-free
// (the network, random source and password store are passed in), so the tests
// run it on Node's network.
//
// The sign-in password record persists (NVS through `preference` on the
// board): without it a reboot would forget the password and the first-use
// form would let anyone on the LAN set a new one. A record that is there but
// damaged does not reopen first use either: sign-in stays refused until the
// record is deleted on purpose (README: factory reset of the password).
import type { Clock } from "../../modules/core/clock";
import type { Household } from "../../modules/core/household";
import type { Network, Random } from "../../modules/core/ports";
import { HttpServer } from "../../modules/http/server";
import { BOARD_LIMITS, type HttpLimits } from "../../modules/http/limits";
import { WebApp, type DisplayMirror } from "../../modules/http/web-app";
import { ASSETS } from "../../modules/http/static-assets";
import { storedPassword } from "../../modules/http/password-record";

/** Where the password record lives (preference xsmeter/httpPassword on the board). */
export interface PasswordStore {
  load(): unknown;
  save(record: string): void;
}

export interface BoardWebOptions {
  household: Household;
  clock: Clock;
  network: Network;
  random: Random;
  port: number;
  passwords: PasswordStore;
  /** Board-sized: each iteration is ≈36,100 XS computrons (test:xs http-parser/pbkdf2x100: 3.61 M per 100; 7.25 M before the HMAC pads were prepared once). */
  pbkdf2Iterations: number;
  display?: DisplayMirror;
  readOpen?: boolean;
  utcOffsetMin?: number;
  /**
   * Default BOARD_LIMITS: 6 connections, so the web page, the MQTT session and a firmware
   * download fit lwIP's 8 active TCP PCBs (Moddable's sdkconfig CONFIG_LWIP_MAX_ACTIVE_TCP).
   */
  limits?: Partial<HttpLimits>;
  /** The board's own host names (e.g. its mDNS name "xsmeter.local"); IP literals always work. */
  allowedHosts?: readonly string[];
  /** Shows the setup code (the display) while no password is set; it is logged too. */
  showSetupCode?(code: string): void;
  log?(line: string): void;
}

export interface BoardWeb {
  port: number;
  server: HttpServer;
  app: WebApp;
  close(): void;
}

export async function startBoardWeb(o: BoardWebOptions): Promise<BoardWeb> {
  const stored = storedPassword(o.passwords.load(), "preference xsmeter/httpPassword deleted");
  o.log?.(`http: ${stored.note}`);
  const limits = { ...BOARD_LIMITS, ...o.limits };
  const app = new WebApp({
    limits,
    allowedHosts: o.allowedHosts,
    // A guess costs 1–2 s of XS at the board's iterations: 5, then one per 20 s keeps guessing under ~10 % of the CPU.
    loginBudget: { burst: 5, refillMs: 20_000 },
    onSetupCode: (code) => {
      o.log?.(`http: no password yet; setup code ${code}`);
      o.showSetupCode?.(code);
    },
    household: o.household,
    clock: o.clock,
    random: o.random,
    assets: ASSETS,
    display: o.display,
    readOpen: o.readOpen,
    utcOffsetMin: o.utcOffsetMin,
    pbkdf2Iterations: o.pbkdf2Iterations,
    storedPassword: stored.record,
    savePassword: (record) => o.passwords.save(record),
  });
  const server = new HttpServer({
    network: o.network,
    clock: o.clock,
    handler: app.handle,
    limits,
    onRejected: (status, reason, remote) => o.log?.(`http: ${status} to ${remote}: ${reason}`),
    onError: (e) => o.log?.(`http: handler failed: ${e instanceof Error ? e.message : String(e)}`),
  });
  const port = await server.listen(o.port);
  return {
    port,
    server,
    app,
    close() {
      app.close();
      server.close();
    },
  };
}
