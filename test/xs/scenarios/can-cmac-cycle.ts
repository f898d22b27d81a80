// XS conformance and bench:can-native: the master's CMAC checks of one poll cycle with 16 slaves
// (16 × 13 quantity answers, each an authenticated 8-byte frame), once with the TypeScript AES
// behind the BlockCipher port and once with the AES taken out: the board's adapter
// (hosts/esp32/crypt-aes.ts) over a stand-in for the native cipher that returns at once, so what
// is left is exactly the XS the board still runs per check (the CMAC's chaining and padding, the
// adapter, the constant-time compare); the AES itself then runs in C.
import { FrameAuthenticator } from "../../../modules/can/authenticator";
import { MESSAGES, canId } from "../../../modules/can/protocol";
import { canNodeKey } from "../../../modules/secure/node-keys";
import { cryptAes, type CryptCipher } from "../../../hosts/esp32/crypt-aes";

export const SLAVES = 16;
const NETWORK_KEY = Uint8Array.from({ length: 16 }, (_, i) => (i * 29 + 7) & 255);

/** Moddable's crypt BlockCipher with its C left out: the call costs what a host call costs in XS. */
class ReturnAtOnce implements CryptCipher {
  constructor(_name: "AES", _key: ArrayBuffer) {}
  encrypt(_data: ArrayBuffer, result: ArrayBuffer): ArrayBuffer { return result; }
}

interface Answer { node: number; id: number; data: Uint8Array; freshness: number }

function build() {
  const answers: Answer[] = [];
  const ts: FrameAuthenticator[] = [], aesOut: FrameAuthenticator[] = [];
  for (let node = 1; node <= SLAVES; node++) {
    const key = canNodeKey(NETWORK_KEY, node);
    const sealer = new FrameAuthenticator(key);
    ts[node] = new FrameAuthenticator(key);
    aesOut[node] = new FrameAuthenticator(key, cryptAes(ReturnAtOnce));
    for (const m of MESSAGES) {
      const data = new Uint8Array(8);
      const v = node * 1000 + m.msg;
      data[0] = v; data[1] = v >>> 8; data[2] = v >>> 16; data[3] = v >>> 24;
      const freshness = 1000 + node * 16 + m.msg;
      sealer.sealQuantity(canId(m.msg, node), data, freshness);
      answers.push({ node, id: canId(m.msg, node), data, freshness });
    }
  }
  return { answers, ts, aesOut };
}

const cycle = build();

/** Checks every answer of the cycle with these authenticators; returns how many were authentic. */
function checkCycle(auths: FrameAuthenticator[]): number {
  let ok = 0;
  const list = cycle.answers;
  for (let k = 0; k < list.length; k++) {
    const a = list[k];
    if (auths[a.node].checkQuantity(a.id, a.data, a.freshness)) ok++;
  }
  return ok;
}

export function run(): unknown {
  // every sealed answer checks with the TypeScript AES; with the AES taken out none does (the stand-in
  // computes nothing), which shows the second figure really lacks the AES
  return { answers: cycle.answers.length, authenticTs: checkCycle(cycle.ts), authenticAesOut: checkCycle(cycle.aesOut) };
}

export const probes = {
  cycleTsAes(): unknown {
    return checkCycle(cycle.ts);
  },
  cycleAesOut(): unknown {
    return checkCycle(cycle.aesOut);
  },
};
