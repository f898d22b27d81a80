/**
 * An OBIS code as the last level of a reading's topic, in one of two forms:
 *
 *   dotted       xsmeter/<node>/meter/<id>/1-0:1.8.0   the default (mosquitto, Home Assistant)
 *   underscored  xsmeter/<node>/meter/<id>/1-0:1_8_0   for brokers that refuse "." in a topic
 *
 * NATS uses "." as its subject separator, and nats-server 2.9's MQTT endpoint
 * drops a session that publishes a topic containing one; the underscored form
 * carries the same code with "_" where C.D.E had dots (":" and "-" pass). The
 * cloud link's configuration picks the form; the head-end reads both
 * (`obisFromTopicLevel`) into the same code.
 */
import { formatObis, parseObis } from "../core/obis";

export type ObisTopicForm = "dotted" | "underscored";

export const OBIS_TOPIC_FORMS: readonly ObisTopicForm[] = Object.freeze(["dotted", "underscored"] as ObisTopicForm[]);

/** The topic level naming `code` in `form` (the code as the registry writes it, "A-B:C.D.E"). */
export function obisTopicLevel(code: string, form: ObisTopicForm): string {
  return form === "underscored" ? code.split(".").join("_") : code;
}

/** A reading's topic: xsmeter/<node>/meter/<meterId>/<code in form>. */
export function readingTopic(node: string, meterId: number, code: string, form: ObisTopicForm = "dotted"): string {
  return `xsmeter/${node}/meter/${meterId}/${obisTopicLevel(code, form)}`;
}

/**
 * The OBIS code a topic level names, in either form, or undefined. Only the
 * exact text the firmware writes maps to a code: the canonical "A-B:C.D.E"
 * (groups 0–255, no leading zeros, no "*F") with all dots or all underscores
 * in C.D.E. "1-0:1_8.0" (mixed), "1-0:01.8.0" (another spelling of 1.8.0) and
 * "1-0:1.8.0*255" are refused, so no other text of a topic can stand for a
 * code — one code, one topic per form.
 */
export function obisFromTopicLevel(level: string): string | undefined {
  if (level.length > 19) return undefined; // "255-255:255.255.255"
  const dots = level.indexOf(".") >= 0;
  const unders = level.indexOf("_") >= 0;
  if (dots && unders) return undefined;
  const code = unders ? level.split("_").join(".") : level;
  let canonical: string;
  try {
    const p = parseObis(code);
    if (p.f !== 255) return undefined;
    canonical = formatObis(p);
  } catch {
    return undefined;
  }
  return canonical === code ? code : undefined;
}
