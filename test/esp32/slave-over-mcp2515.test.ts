// A board slave end to end at register level: the master's remote frame enters
// the fake MCP2515, the driver hands it to modules/can CanSlave, whose answer
// (authenticated, from the latched readings) leaves through a TX buffer.
import { describe, expect, it } from "vitest";
import { CanSlave } from "../../modules/can/slave";
import { BROADCAST, POLLED_CODES, canId, messageForCode, msgOf, nodeOf } from "../../modules/can/protocol";
import { CODES } from "../../modules/core/obis";
import { FlashCounterStore } from "../../modules/secure/counter-store";
import { emptyReadings } from "../../modules/app/readings";
import { NorFlashSim } from "../../hosts/node/flash/nor-flash-sim";
import { Mcp2515 } from "../../hosts/esp32/mcp2515";
import { slaveReading } from "../../hosts/esp32/slave-answers";
import { FakeMcp2515 } from "./fakes/fake-mcp2515";

describe("a board slave answering over the MCP2515", () => {
  it("answers a broadcast poll for voltage with one data frame from its node", () => {
    const chip = new FakeMcp2515();
    const can = new Mcp2515(chip, { oscillatorHz: 8e6, bitrate: 125e3 });
    can.begin();
    const readings = { ...emptyReadings(0), voltageV: 231.5, importWh: 1234 };
    const read = slaveReading(() => readings);
    expect(read(CODES.voltage[0])).toBe(231.5);
    expect(read(CODES.energyImport)).toBe(1234);
    expect(read("1-0:32.7.124")).toBe(0); // not measured on this path: the readings' zero, so the master's set is complete
    for (const code of POLLED_CODES) expect(read(code), code).toBeTypeOf("number");
    expect(read("1-0:99.99.0")).toBeUndefined();
    const slave = new CanSlave(can, { node: 7, networkKey: new Uint8Array(16).fill(3), store: new FlashCounterStore(new NorFlashSim({ size: 8192 })), read });
    const msg = messageForCode(CODES.voltage[0])!.msg;
    expect(chip.receive({ id: canId(msg, BROADCAST), extended: false, rtr: true, dlc: 8, data: new Uint8Array(0) })).toBe("rxb0");
    can.service();
    chip.runBus();
    expect(chip.sent).toHaveLength(1);
    const answer = chip.sent[0];
    expect(answer.rtr).toBe(false);
    expect(msgOf(answer.id)).toBe(msg);
    expect(nodeOf(answer.id)).toBe(7);
    expect(answer.dlc).toBeGreaterThan(0);
    expect(slave.answers).toBe(1);
  });
});
