/*
 * Native waveform snapshots from the STPM3x (stpm-snapshot.js, types stpm-snapshot.d.ts).
 *
 * Why native: a snapshot is 1024+ pairs of instantaneous samples (V1_DATA, C1_DATA) at the
 * snapshot rate (6400 S/s: one every 156 us). Read from JavaScript each pair is a latch and two
 * register reads through embedded:io/spi, ~7 frames and several thousand XS computrons: the
 * ESP32 cannot keep that pace, so the THD on the board read 0. Here a periodic esp_timer
 * (dispatched in the esp_timer task, not an ISR: the SPI master driver may block) clocks one
 * pair per period into a buffer of our own, with no JavaScript call per sample. JavaScript only
 * starts a capture, polls `state` from its measuring task, and take()s the finished snapshot:
 * the C scales the 24-bit samples into the caller's Float32Arrays inside that call (the XS heap
 * may move between calls, and the timer never touches it).
 *
 * Per sample, 4 frames of 5 bytes on our own SPI device on the bus Moddable's SPI already set
 * up (ESP-IDF's bus lock orders us with its transfers): the latch (DSP_CR3 upper half with
 * SW_LATCH1|2), the read of V1_DATA, the read of C1_DATA (V1 comes back), a no-op (C1 comes
 * back). At 8 MHz that is 20 us of clock plus the driver's per-transaction cost. Every answer's
 * CRC-8 is checked; a bad one fails the capture (the caller counts it, nothing is half-used).
 */
#include <stddef.h>
#include "xsmc.h"
#include "xsHost.h"
#include "esp_err.h"
#include "esp_timer.h"
#include "driver/spi_master.h"

enum { kIdle = 0, kRunning = 1, kDone = 2, kFailed = 3 };

#define kNone 0xFF
#define kDspCr3High 0x05 /* DSP_CR3 (row 2) upper half-word */
#define kV1Data 0x30
#define kC1Data 0x32
#define kLatchBits ((1u << 21) | (1u << 22)) /* SW_LATCH1 | SW_LATCH2 */

typedef struct {
	spi_device_handle_t device;
	esp_timer_handle_t timer;
	int32_t *v;
	int32_t *c;
	uint32_t capacity;
	uint32_t wanted;
	uint32_t cr3High; /* DSP_CR3's upper half as read at start, latch bits added */
	volatile uint32_t count;
	volatile uint8_t state;
	volatile uint8_t inCallback; /* the esp_timer task is in sampleOnce: the record must not go yet */
	uint32_t crcErrors;
	int64_t startUs;
	int64_t endUs;
} SnapshotRecord, *Snapshot;

static uint8_t crc8(const uint8_t *bytes, int n)
{
	uint8_t crc = 0;
	for (int i = 0; i < n; i++) {
		crc ^= bytes[i];
		for (int bit = 0; bit < 8; bit++) crc = (crc & 0x80) ? (uint8_t)((crc << 1) ^ 0x07) : (uint8_t)(crc << 1);
	}
	return crc;
}

/* One 5-byte frame out; what the chip shifts back is the register the previous frame asked for. */
static int frame(Snapshot s, uint8_t readAddress, uint8_t writeAddress, uint16_t data, uint32_t *answer)
{
	uint8_t tx[5] = { readAddress, writeAddress, (uint8_t)data, (uint8_t)(data >> 8), 0 };
	uint8_t rx[5] = { 0 };
	tx[4] = crc8(tx, 4);
	spi_transaction_t t = { 0 };
	t.length = 40;
	t.tx_buffer = tx;
	t.rx_buffer = rx;
	if (spi_device_polling_transmit(s->device, &t) != ESP_OK) return 0;
	if (answer) {
		if (crc8(rx, 4) != rx[4]) { s->crcErrors++; return 0; }
		*answer = rx[0] | (rx[1] << 8) | (rx[2] << 16) | ((uint32_t)rx[3] << 24);
	}
	return 1;
}

static int32_t signExtend24(uint32_t raw)
{
	return ((int32_t)(raw << 8)) >> 8;
}

static void stopCapture(Snapshot s, uint8_t state)
{
	esp_timer_stop(s->timer);
	s->endUs = esp_timer_get_time();
	s->state = state;
}

/* The timer's callback: one latched V1/C1 pair per period. */
static void sampleOnce(void *arg)
{
	Snapshot s = arg;
	uint32_t v, c;
	s->inCallback = 1;
	if (s->state == kRunning) {
		if (!frame(s, kNone, kDspCr3High, (uint16_t)s->cr3High, NULL)
				|| !frame(s, kV1Data, kNone, 0xFFFF, NULL)
				|| !frame(s, kC1Data, kNone, 0xFFFF, &v)
				|| !frame(s, kNone, kNone, 0xFFFF, &c))
			stopCapture(s, kFailed);
		else {
			uint32_t k = s->count;
			s->v[k] = signExtend24(v);
			s->c[k] = signExtend24(c);
			s->count = k + 1;
			if (k + 1 >= s->wanted) stopCapture(s, kDone);
		}
	}
	s->inCallback = 0;
}

void xs_stpm_snapshot_destructor(void *data)
{
	Snapshot s = data;
	if (!s) return;
	s->state = kIdle; /* a callback already dispatched returns without touching the bus */
	if (s->timer) {
		esp_timer_stop(s->timer);
		/* at most one sample's frames (tens of us): the timer task finishes its callback before we free */
		while (s->inCallback) {}
		esp_timer_delete(s->timer);
	}
	if (s->device) spi_bus_remove_device(s->device);
	c_free(s->v);
	c_free(s->c);
	c_free(s);
}

/* new StpmSnapshot(spiHost, select, hz, rate, capacity) */
void xs_stpm_snapshot_constructor(xsMachine *the)
{
	int host = xsmcToInteger(xsArg(0));
	int select = xsmcToInteger(xsArg(1));
	int hz = xsmcToInteger(xsArg(2));
	int rate = xsmcToInteger(xsArg(3));
	int capacity = xsmcToInteger(xsArg(4));
	if (rate < 100 || rate > 8000) xsRangeError("snapshot rate 100..8000 S/s");
	if (capacity < 16 || capacity > 8192) xsRangeError("snapshot capacity 16..8192 samples");

	Snapshot s = c_calloc(1, sizeof(SnapshotRecord));
	if (!s) xsRangeError("no memory");
	s->capacity = (uint32_t)capacity;
	s->v = c_malloc(sizeof(int32_t) * capacity);
	s->c = c_malloc(sizeof(int32_t) * capacity);
	if (!s->v || !s->c) { xs_stpm_snapshot_destructor(s); xsRangeError("no memory for the snapshot buffers"); }

	spi_device_interface_config_t dev = { 0 };
	dev.mode = 3; /* the STPM3x samples on the rising edge, clock idle high */
	dev.clock_speed_hz = hz;
	dev.spics_io_num = select;
	dev.queue_size = 1;
	if (spi_bus_add_device((spi_host_device_t)host, &dev, &s->device) != ESP_OK) {
		s->device = NULL;
		xs_stpm_snapshot_destructor(s);
		xsUnknownError("STPM snapshot: cannot add the SPI device (bus not initialised?)");
	}
	esp_timer_create_args_t timer = { 0 };
	timer.callback = sampleOnce;
	timer.arg = s;
	timer.dispatch_method = ESP_TIMER_TASK;
	timer.name = "stpm-snapshot";
	if (esp_timer_create(&timer, &s->timer) != ESP_OK) {
		s->timer = NULL;
		xs_stpm_snapshot_destructor(s);
		xsUnknownError("STPM snapshot: no timer");
	}
	xsmcSetHostData(xsThis, s);
}

/* start(count, rate) -> boolean: begins a capture; false while one runs. Reads DSP_CR3 once, here. */
void xs_stpm_snapshot_start(xsMachine *the)
{
	Snapshot s = xsmcGetHostData(xsThis);
	int count = xsmcToInteger(xsArg(0));
	int rate = xsmcToInteger(xsArg(1));
	uint32_t cr3;
	if (!s) xsUnknownError("closed");
	if (count < 1 || (uint32_t)count > s->capacity) xsRangeError("count beyond the snapshot capacity");
	if (rate < 100 || rate > 8000) xsRangeError("snapshot rate 100..8000 S/s");
	if (s->state == kRunning) { xsmcSetBoolean(xsResult, 0); return; }
	if (!frame(s, kDspCr3High - 1, kNone, 0xFFFF, NULL) || !frame(s, kNone, kNone, 0xFFFF, &cr3)) {
		s->state = kFailed;
		xsmcSetBoolean(xsResult, 0);
		return;
	}
	s->cr3High = ((cr3 | kLatchBits) >> 16) & 0xFFFF;
	s->wanted = (uint32_t)count;
	s->count = 0;
	s->state = kRunning;
	s->startUs = esp_timer_get_time();
	if (esp_timer_start_periodic(s->timer, (uint64_t)(1000000 / rate)) != ESP_OK) {
		s->state = kFailed;
		xsmcSetBoolean(xsResult, 0);
		return;
	}
	xsmcSetBoolean(xsResult, 1);
}

/* state: 0 idle, 1 running, 2 done, 3 failed */
void xs_stpm_snapshot_get_state(xsMachine *the)
{
	Snapshot s = xsmcGetHostData(xsThis);
	xsmcSetInteger(xsResult, s ? s->state : kFailed);
}

/* The rate the timer really kept over the last capture (S/s), 0 before one ended. */
void xs_stpm_snapshot_get_rate(xsMachine *the)
{
	Snapshot s = xsmcGetHostData(xsThis);
	if (!s || s->state != kDone || s->count < 2 || s->endUs <= s->startUs) { xsmcSetInteger(xsResult, 0); return; }
	xsmcSetNumber(xsResult, (double)(s->count - 1) * 1e6 / (double)(s->endUs - s->startUs));
}

/* take(u: Float32Array, i: Float32Array, vScale, iScale) -> samples written (0 unless a capture is done) */
void xs_stpm_snapshot_take(xsMachine *the)
{
	Snapshot s = xsmcGetHostData(xsThis);
	void *u, *i;
	xsUnsignedValue uBytes, iBytes;
	if (!s) xsUnknownError("closed");
	float vScale = (float)xsmcToNumber(xsArg(2));
	float iScale = (float)xsmcToNumber(xsArg(3));
	xsmcGetBufferWritable(xsArg(0), &u, &uBytes);
	xsmcGetBufferWritable(xsArg(1), &i, &iBytes);
	if (s->state != kDone) { xsmcSetInteger(xsResult, 0); return; }
	uint32_t n = s->count;
	if (uBytes < n * sizeof(float) || iBytes < n * sizeof(float)) xsRangeError("buffers shorter than the snapshot");
	float *uf = u, *cf = i;
	for (uint32_t k = 0; k < n; k++) {
		uf[k] = (float)s->v[k] * vScale;
		cf[k] = (float)s->c[k] * iScale;
	}
	s->state = kIdle;
	xsmcSetInteger(xsResult, (xsIntegerValue)n);
}

/* crcErrors: answers refused since the start */
void xs_stpm_snapshot_get_crcErrors(xsMachine *the)
{
	Snapshot s = xsmcGetHostData(xsThis);
	xsmcSetInteger(xsResult, s ? (xsIntegerValue)s->crcErrors : 0);
}

void xs_stpm_snapshot_close(xsMachine *the)
{
	Snapshot s = xsmcGetHostData(xsThis);
	if (!s) return;
	xs_stpm_snapshot_destructor(s);
	xsmcSetHostData(xsThis, NULL);
}
