// Binding of twai-native.c (types: twai-native.d.ts). Modelled on the
// Moddable SDK's modules/io/pulsecount/esp32/_pulsecount.js.
class TwaiNative extends Native("xs_twai_destructor") {
	constructor(options) { super(); native("xs_twai_constructor").call(this, options); }
	write(id, flags, dlc, data) { return native("xs_twai_write").call(this, id, flags, dlc, data); }
	read(into, header) { return native("xs_twai_read").call(this, into, header); }
	status() { return native("xs_twai_status").call(this); }
	recover() { return native("xs_twai_recover").call(this); }
	close() { return native("xs_twai_close").call(this); }
}
export default TwaiNative;
