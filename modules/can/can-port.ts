/**
 * The CAN port: what modules/can needs from a CAN controller. The host gives
 * one implementation per controller (the virtual bus on Node, TWAI on the
 * ESP32, MCP2515 over SPI); the master and the slave use only this.
 */

/** A classic CAN frame (ISO 11898-1). */
export interface CanFrame {
  /** 11-bit (standard) or 29-bit (extended) identifier. */
  id: number;
  extended: boolean;
  /** Remote transmission request: no data, `dlc` is the length requested. */
  rtr: boolean;
  /** Data length code, 0..8 (a remote frame carries the requested length). */
  dlc: number;
  /** Payload, `dlc` bytes for a data frame, empty for a remote frame. */
  data: Uint8Array;
}

/** What a controller reports besides frames (error counters, bus state). */
export interface CanErrorEvent {
  /** "error-active" | "error-passive" | "bus-off" state after the event. */
  state: CanBusState;
  /** Transmit / receive error counters (TEC, REC) after the event. */
  tec: number;
  rec: number;
  /** What happened: e.g. "bit", "stuff", "crc", "form", "ack", "bus-off", "recovered", "overrun". */
  kind: string;
}

export type CanBusState = "error-active" | "error-passive" | "bus-off";

export interface CanPort {
  /**
   * Queues a frame for transmission; false when the controller cannot take it
   * now (all transmit mailboxes full, or bus off). The controller retransmits
   * on its own after lost arbitration or an error.
   */
  send(frame: CanFrame): boolean;
  /**
   * Registers the receiver of every accepted frame (after acceptance filters). The frame and its
   * `data` are lent for the call only: a controller may refill the same object and bytes for its
   * next frame (the board's TWAI and MCP2515 adapters do, so a received frame allocates nothing),
   * so a receiver that keeps a frame past its callback copies it.
   */
  onFrame(cb: (frame: CanFrame) => void): void;
  /** Registers the receiver of error and state events, when the controller reports them. */
  onError?(cb: (event: CanErrorEvent) => void): void;
}

/** Largest standard and extended identifiers. */
export const CAN_STD_ID_MAX = 0x7ff;
export const CAN_EXT_ID_MAX = 0x1fffffff;

/** Checks a frame's fields; returns a reason when it is not a valid classic frame. */
export function frameProblem(frame: CanFrame): string | undefined {
  const max = frame.extended ? CAN_EXT_ID_MAX : CAN_STD_ID_MAX;
  if (!Number.isInteger(frame.id) || frame.id < 0 || frame.id > max) return `identifier ${frame.id} out of range`;
  if (!Number.isInteger(frame.dlc) || frame.dlc < 0 || frame.dlc > 8) return `DLC ${frame.dlc} out of range 0..8`;
  if (frame.rtr) {
    if (frame.data.length !== 0) return "a remote frame carries no data";
  } else if (frame.data.length !== frame.dlc) return `data length ${frame.data.length} differs from DLC ${frame.dlc}`;
  return undefined;
}
