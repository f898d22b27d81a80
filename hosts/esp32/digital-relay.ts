// Thin: a load relay on a GPIO through ECMA-419 Digital.
import Digital from "embedded:io/digital";
import type { Relay } from "../../modules/core/ports";

export class DigitalRelay implements Relay {
  private readonly pin: Digital;
  private closed = false;
  constructor(pin: number, activeLow = false) {
    this.pin = new Digital({ pin, mode: Digital.Output });
    this.activeLow = activeLow;
    this.set(false);
  }
  private readonly activeLow: boolean;
  set(closed: boolean): void {
    this.closed = closed;
    this.pin.write(closed !== this.activeLow ? 1 : 0);
  }
  get(): boolean {
    return this.closed;
  }
}
