import type { MeterReadings } from "../../modules/app/readings";
import type { ObisCode } from "../../modules/core/obis";
import { CODES } from "../../modules/core/obis";

/**
 * What a slave answers for each OBIS code the CAN master asks for, from the
 * readings latched by its CAN task (one consistent set per answer). It answers
 * every quantity the master polls (modules/can POLLED_CODES): the aggregator's
 * CanLink takes a slave's readings only when the whole set arrived in a cycle,
 * so a code left unanswered would make the slave look missing. Quantities the
 * front end does not measure (THD, frequency on the STPM3x path) are the
 * readings' zeros. Codes outside the readings answer undefined (silence).
 */
export function slaveReading(latched: () => MeterReadings): (code: ObisCode) => number | undefined {
  return (code) => {
    const r = latched();
    switch (code) {
      case CODES.energyImport: return r.importWh; // Wh, as the OBIS registry says
      case CODES.energyExport: return r.exportWh;
      case CODES.powerNet: return r.powerW;
      case CODES.powerImport: return Math.max(0, r.powerW);
      case CODES.powerExport: return Math.max(0, -r.powerW);
      case "1-0:3.7.0": return r.reactiveVar;
      case CODES.voltage[0]: return r.voltageV;
      case CODES.current[0]: return r.currentA;
      case CODES.frequency: return r.frequencyHz;
      case CODES.powerFactor: return r.powerFactor;
      case "1-0:32.7.124": return r.thdVoltagePct;
      case "1-0:31.7.124": return r.thdCurrentPct;
      case "1-0:32.32.0": return r.dips;
      case "1-0:32.36.0": return r.swells;
      case "0-0:96.7.21": return r.interruptions;
      default: return undefined;
    }
  };
}
