// Thin: the board's side of board-ota.ts — embedded:update into the next app
// partition (ota_0/ota_1 of partitions.csv, "nextota" to Moddable's flash
// storage), Moddable's native SHA-256 (crypt Digest), and ESP-IDF's rollback
// state through ota-native (hosts/esp32/ota). The signature check and the
// digest comparison before complete() are in board-ota.ts, tested on the host.
import FlashStorage from "embedded:storage/flash";
import Update from "embedded:update";
import { Digest } from "crypt";
import { markValid, pendingVerify } from "board-native";
import { BoardOtaSlots, type AppPartitionSink, type StreamDigest } from "./board-ota";

function openNext(byteLength: number): AppPartitionSink {
  const partition = FlashStorage.open({ path: "nextota", mode: "r+" });
  const updater = Update.open({ partition, mode: "w", byteLength });
  return {
    write: (bytes) => updater.write(bytes),
    complete: () => updater.complete(),
    abort: () => updater.close(),
  };
}

function nativeSha256(): StreamDigest {
  const d = new Digest("SHA256");
  return {
    // crypt takes an ArrayBuffer: copy the chunk out of its (possibly larger) buffer
    write: (bytes) => d.write(bytes.slice().buffer as ArrayBuffer),
    close: () => new Uint8Array(d.close()),
  };
}

/** The next app partition's size (bytes). */
function nextCapacity(): number {
  const p = FlashStorage.open({ path: "nextota", mode: "r" });
  try {
    return p.status().size;
  } finally {
    p.close();
  }
}

export function openBoardOta(publicKey: Uint8Array, runningVersion: string): BoardOtaSlots {
  return new BoardOtaSlots({ publicKey, runningVersion, capacity: nextCapacity(), open: openNext, digest: nativeSha256, trial: pendingVerify(), markValid });
}
