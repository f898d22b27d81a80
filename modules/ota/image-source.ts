/**
 * Where firmware images come from: the updater asks for the bytes of an image
 * from an offset on, and gets them in order. One transport per host; the
 * meter's is HTTP with Range requests (http-source.ts): a utility serves
 * images from a web server or CDN, a dropped link resumes with
 * `Range: bytes=<offset>-`, and the MQTT broker is not loaded with megabytes.
 */
export interface ImageFetch {
  abort(): void;
}

export interface ImageSource {
  /**
   * Streams the image at `url` from byte `from` to its end: `onData` in order, then
   * `done()` once the last byte came, or `done(error)` when the transfer broke off.
   */
  fetch(url: string, from: number, onData: (chunk: Uint8Array) => void, done: (error?: string) => void): ImageFetch;
}
