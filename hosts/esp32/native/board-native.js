// Binding of board-native.c (types: board-native.d.ts).
export function fillRandom(buffer) { return native("xs_board_fill_random").call(this, buffer); }
export function pendingVerify() { return native("xs_ota_pending_verify").call(this); }
export function markValid() { return native("xs_ota_mark_valid").call(this); }
export function restart() { return native("xs_board_restart").call(this); }
