/**
 * WAV reader: PCM 16/24/32-bit and IEEE float 32/64 (also WAVE_FORMAT_EXTENSIBLE).
 * Channels are u1,i1[,u2,i2,u3,i3]; full scale (±1) maps to ±voltScale V and ±ampScale A.
 */
import { checkSampleRate, RecordingError, type Recording } from "./recording";

export interface WavOptions { voltScale?: number; ampScale?: number }

export function readWav(bytes: Uint8Array, opts: WavOptions = {}, name = "wav"): Recording {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new RecordingError(`${name} byte 0: not a RIFF/WAVE file`);
  let at = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (at + 8 <= bytes.length) {
    const id = tag(at), size = view.getUint32(at + 4, true), body = at + 8;
    if (id === "fmt ") {
      if (size < 16 || body + size > bytes.length) throw new RecordingError(`${name} byte ${at}: fmt chunk of ${size} bytes is truncated`);
      let format = view.getUint16(body, true);
      if (format === 0xfffe && size >= 26) format = view.getUint16(body + 24, true);
      fmt = { format, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === "data") {
      if (!fmt) throw new RecordingError(`${name} byte ${at}: data chunk before the fmt chunk`);
      checkSampleRate(fmt.rate, `${name} (fmt chunk)`, "sample rate");
      if (fmt.channels < 1 || fmt.channels > 6) throw new RecordingError(`${name} (fmt chunk): ${fmt.channels} channels; expected 1..6 (u1,i1[,u2,i2,u3,i3])`);
      const width = fmt.bits / 8;
      if (!(fmt.format === 1 && [16, 24, 32].includes(fmt.bits)) && !(fmt.format === 3 && [32, 64].includes(fmt.bits)))
        throw new RecordingError(`${name} byte ${at}: unsupported sample format ${fmt.format} with ${fmt.bits} bits`);
      const frame = width * fmt.channels;
      if (body + size > bytes.length) throw new RecordingError(`${name} byte ${bytes.length}: data chunk declares ${size} bytes, only ${bytes.length - body} present (truncated)`);
      if (size % frame !== 0) throw new RecordingError(`${name} byte ${body + size - (size % frame)}: data ends inside a frame of ${frame} bytes`);
      const count = size / frame;
      const channels = Array.from({ length: fmt.channels }, (_, c) => {
        const isU = c % 2 === 0;
        return { name: isU ? `u${c / 2 + 1}` : `i${(c + 1) / 2}`, unit: isU ? "V" : "A", values: new Float64Array(count) };
      });
      for (let n = 0; n < count; n++) {
        for (let c = 0; c < fmt.channels; c++) {
          const off = body + n * frame + c * width;
          let v: number;
          if (fmt.format === 3) v = width === 4 ? view.getFloat32(off, true) : view.getFloat64(off, true);
          else if (width === 2) v = view.getInt16(off, true) / 32768;
          else if (width === 4) v = view.getInt32(off, true) / 2147483648;
          else v = (((bytes[off] | (bytes[off + 1] << 8) | (bytes[off + 2] << 16)) << 8) >> 8) / 8388608;
          if (!Number.isFinite(v)) throw new RecordingError(`${name} byte ${off}: channel ${channels[c].name} sample ${n + 1} is ${v}, not a finite number`);
          channels[c].values[n] = v * (c % 2 === 0 ? opts.voltScale ?? 1 : opts.ampScale ?? 1);
        }
      }
      return { sampleRate: fmt.rate, channels };
    }
    at = body + size + (size & 1);
  }
  throw new RecordingError(`${name} byte ${at}: no data chunk`);
}
