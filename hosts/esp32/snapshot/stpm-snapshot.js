// Binding of stpm-snapshot.c (types: stpm-snapshot.d.ts), as twai-native.js binds its C.
class StpmSnapshot extends Native("xs_stpm_snapshot_destructor") {
	constructor(spiHost, select, hz, rate, capacity) { super(); native("xs_stpm_snapshot_constructor").call(this, spiHost, select, hz, rate, capacity); }
	start(count, rate) { return native("xs_stpm_snapshot_start").call(this, count, rate); }
	get state() { return native("xs_stpm_snapshot_get_state").call(this); }
	get rate() { return native("xs_stpm_snapshot_get_rate").call(this); }
	get crcErrors() { return native("xs_stpm_snapshot_get_crcErrors").call(this); }
	take(u, i, vScale, iScale) { return native("xs_stpm_snapshot_take").call(this, u, i, vScale, iScale); }
	close() { return native("xs_stpm_snapshot_close").call(this); }
}
export default StpmSnapshot;
