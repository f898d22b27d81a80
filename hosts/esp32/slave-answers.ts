import type { MeterReadings } from "../../modules/app/readings";
import type { ObisCode } from "../../modules/core/obis";
import { CODES } from "../../modules/core/obis";

/**
 * What a slave answers for each OBIS code the CAN master asks for, from the
 * readings latched by its CAN task (one consistent set per answer). Codes this
 * meter does not measure yet answer undefined (the slave then stays silent).
 */
export function slaveReading(latched: () => MeterReadings): (code: ObisCode) => number | undefined {
  return (code) => {
    const r = latched();
    switch (code) {
      case CODES.voltage[0]: return r.voltageV;
      case CODES.current[0]: return r.currentA;
      case CODES.powerNet: return r.powerW;
      case CODES.powerImport: return Math.max(0, r.powerW);
      case CODES.powerExport: return Math.max(0, -r.powerW);
      case CODES.energyImport: return r.importWh; // Wh, as the OBIS registry says
      case CODES.energyExport: return r.exportWh;
      case CODES.powerFactor: return r.powerFactor;
      case CODES.frequency: return r.frequencyHz > 0 ? r.frequencyHz : undefined;
      default: return undefined;
    }
  };
}
