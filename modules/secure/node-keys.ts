import { deriveKey } from "./kdf";

/** The per-node CAN authentication key: KDF(network key, "xsmeter-can-node", node number). */
export function canNodeKey(networkKey: Uint8Array, node: number): Uint8Array {
  return deriveKey(networkKey, "xsmeter-can-node", `node-${node}`);
}
