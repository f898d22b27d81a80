// Thin: opens the native TWAI module (Moddable only) and wraps it in the CanPort.
import TwaiNative from "twai-native";
import { TwaiCan } from "./twai-can";

export function openTwai(pins: { tx: number; rx: number }, bitrate: number): TwaiCan {
  let port: TwaiCan | undefined;
  const device = new TwaiNative({
    tx: pins.tx,
    rx: pins.rx,
    bitrate,
    onReadable: () => port?.readable(),
    onError: () => port?.alert(),
  });
  port = new TwaiCan(device);
  return port;
}
