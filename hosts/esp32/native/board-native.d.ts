// Types of board-native.js / board-native.c (mapped by path in tsconfig.esp32.json, as twai-native is).
/** Fills the buffer from the ESP32's hardware RNG (esp_fill_random). */
export function fillRandom(buffer: Uint8Array | ArrayBuffer): void;
/** True while the running app is ESP-IDF "pending verify": the first boot after an update. */
export function pendingVerify(): boolean;
/** esp_ota_mark_app_valid_cancel_rollback: this app stays; the bootloader will not roll back. */
export function markValid(): void;
/** esp_restart. */
export function restart(): void;
