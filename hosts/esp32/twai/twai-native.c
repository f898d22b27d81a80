/*
 * A small TWAI (ESP32 CAN controller) module for XS, modelled on the Moddable
 * SDK's modules/io/pulsecount/esp32: host data with xsHostHooks, a mark
 * function for the callbacks, and messages posted to the machine so callbacks
 * run on the main task. One FreeRTOS task waits on TWAI alerts (the driver
 * owns the interrupt); frames stay in the driver's RX queue until read().
 *
 * The legacy driver API (driver/twai.h) is the one ESP-IDF 5.0–5.5 keep in
 * components/driver/twai/include (5.5 adds the node API, esp_twai.h, beside
 * it). Not verified against the SDK here: CI compiles this file against our
 * declarations only (hosts/esp32/check, test/esp32/native-c.test.ts).
 * Life cycle: close() or the destructor only mark the record closing; the
 * alert task stops and uninstalls the driver when its wait returns (≤ 100 ms),
 * and the record is freed by whichever runs last of that task and the
 * delivery of a message still queued to the machine, never under one.
 */
#include "xsmc.h"
#include "mc.xs.h"
#include "xsHost.h"
#include "driver/twai.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

typedef struct {
	xsMachine *the;
	xsSlot obj;
	xsSlot *onReadable;
	xsSlot *onError;
	TaskHandle_t task;
	volatile uint8_t closing;
	volatile uint8_t taskDone;
	uint8_t freed;
	volatile uint8_t readablePending;
	volatile uint8_t errorPending;
} TwaiRecord, *Twai;

static void xs_twai_mark(xsMachine *the, void *it, xsMarkRoot markRoot);
void xs_twai_destructor(void *data);
static const xsHostHooks ICACHE_RODATA_ATTR xsTwaiHooks = { xs_twai_destructor, xs_twai_mark, NULL };

static portMUX_TYPE twaiLock = portMUX_INITIALIZER_UNLOCKED;

/* Frees the record once closing, the task gone and no message queued to the machine. */
static void twaiRelease(Twai t)
{
	uint8_t last;
	portENTER_CRITICAL(&twaiLock);
	last = t->closing && t->taskDone && !t->readablePending && !t->errorPending && !t->freed;
	if (last) t->freed = 1;
	portEXIT_CRITICAL(&twaiLock);
	if (last) c_free(t);
}

static void twaiDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength)
{
	Twai t = refcon;
	uint8_t kind = *message;
	portENTER_CRITICAL(&twaiLock);
	if (kind == 0) t->readablePending = 0; else t->errorPending = 0;
	portEXIT_CRITICAL(&twaiLock);
	if (t->closing) { twaiRelease(t); return; }
	xsSlot *cb = kind == 0 ? t->onReadable : t->onError;
	if (!cb) return;
	xsBeginHost(t->the);
		xsCallFunction0(xsReference(cb), t->obj);
	xsEndHost(t->the);
}

static void twaiTask(void *refcon)
{
	Twai t = refcon;
	while (!t->closing) {
		uint32_t alerts = 0;
		if (twai_read_alerts(&alerts, pdMS_TO_TICKS(100)) != ESP_OK) continue;
		uint8_t kind;
		if ((alerts & TWAI_ALERT_RX_DATA) && !t->readablePending) {
			t->readablePending = 1;
			kind = 0;
			modMessagePostToMachine(t->the, &kind, 1, twaiDeliver, t);
		}
		/* Recovery leaves the legacy driver stopped: start it again, or the node
		 * stays off the bus while status() reads error-active. */
		if (alerts & TWAI_ALERT_BUS_RECOVERED)
			twai_start();
		if ((alerts & (TWAI_ALERT_BUS_ERROR | TWAI_ALERT_ERR_PASS | TWAI_ALERT_BUS_OFF | TWAI_ALERT_BUS_RECOVERED | TWAI_ALERT_RX_QUEUE_FULL)) && !t->errorPending) {
			t->errorPending = 1;
			kind = 1;
			modMessagePostToMachine(t->the, &kind, 1, twaiDeliver, t);
		}
	}
	twai_stop();
	twai_driver_uninstall();
	t->taskDone = 1;
	twaiRelease(t);
	vTaskDelete(NULL);
}

static twai_timing_config_t timingFor(xsMachine *the, int bitrate)
{
	twai_timing_config_t k125 = TWAI_TIMING_CONFIG_125KBITS(), k250 = TWAI_TIMING_CONFIG_250KBITS();
	twai_timing_config_t k500 = TWAI_TIMING_CONFIG_500KBITS(), k1000 = TWAI_TIMING_CONFIG_1MBITS();
	switch (bitrate) {
		case 125000: return k125;
		case 250000: return k250;
		case 500000: return k500;
		case 1000000: return k1000;
	}
	xsRangeError("unsupported bitrate");
	return k125;
}

/* Never blocks and never frees the record itself: the alert task does both (see the top). */
void xs_twai_destructor(void *data)
{
	Twai t = data;
	if (!t) return;
	t->closing = 1;
	if (!t->task) { /* the task never started: nothing else holds the record */
		twai_stop();
		twai_driver_uninstall();
		t->taskDone = 1;
		twaiRelease(t);
	}
}

void xs_twai_constructor(xsMachine *the)
{
	int tx, rx, bitrate;
	xsmcVars(1);
	xsmcGet(xsVar(0), xsArg(0), xsID_tx); tx = xsmcToInteger(xsVar(0));
	xsmcGet(xsVar(0), xsArg(0), xsID_rx); rx = xsmcToInteger(xsVar(0));
	xsmcGet(xsVar(0), xsArg(0), xsID_bitrate); bitrate = xsmcToInteger(xsVar(0));

	twai_general_config_t g = TWAI_GENERAL_CONFIG_DEFAULT(tx, rx, TWAI_MODE_NORMAL);
	g.tx_queue_len = 8;
	g.rx_queue_len = 16;
	g.alerts_enabled = TWAI_ALERT_RX_DATA | TWAI_ALERT_BUS_ERROR | TWAI_ALERT_ERR_PASS | TWAI_ALERT_BUS_OFF | TWAI_ALERT_BUS_RECOVERED | TWAI_ALERT_RX_QUEUE_FULL;
	twai_timing_config_t timing = timingFor(the, bitrate);
	twai_filter_config_t f = TWAI_FILTER_CONFIG_ACCEPT_ALL();

	Twai t = c_calloc(1, sizeof(TwaiRecord));
	if (!t) xsRangeError("no memory");
	if (twai_driver_install(&g, &timing, &f) != ESP_OK) { c_free(t); xsUnknownError("twai install failed (in use?)"); }
	if (twai_start() != ESP_OK) { twai_driver_uninstall(); c_free(t); xsUnknownError("twai start failed"); }

	t->the = the;
	t->obj = xsThis;
	xsRemember(t->obj);
	xsmcGet(xsVar(0), xsArg(0), xsID_onReadable);
	t->onReadable = xsToReference(xsVar(0));
	if (xsmcHas(xsArg(0), xsID_onError)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_onError);
		t->onError = xsToReference(xsVar(0));
	}
	xsmcSetHostData(xsThis, t);
	xsSetHostHooks(xsThis, (xsHostHooks *)&xsTwaiHooks);
	if (xTaskCreate(twaiTask, "twai", 2048, t, 10, &t->task) != pdPASS) t->task = NULL;
}

static void xs_twai_mark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	Twai t = it;
	if (t->onReadable) (*markRoot)(the, t->onReadable);
	if (t->onError) (*markRoot)(the, t->onError);
}

void xs_twai_close(xsMachine *the)
{
	Twai t = xsmcGetHostData(xsThis);
	if (t && xsmcGetHostDataValidate(xsThis, (void *)&xsTwaiHooks)) {
		xsForget(t->obj);
		xs_twai_destructor(t);
		xsmcSetHostData(xsThis, NULL);
		xsmcSetHostDestructor(xsThis, NULL);
	}
}

/* write(id, flags, dlc, data) -> boolean; flags bit0 extended, bit1 remote */
void xs_twai_write(xsMachine *the)
{
	xsmcGetHostDataValidate(xsThis, (void *)&xsTwaiHooks);
	twai_message_t m = {0};
	int flags = xsmcToInteger(xsArg(1));
	m.identifier = (uint32_t)xsmcToNumber(xsArg(0));
	m.extd = flags & 1;
	m.rtr = (flags >> 1) & 1;
	m.data_length_code = xsmcToInteger(xsArg(2));
	if (m.data_length_code > 8) xsRangeError("dlc");
	if (!m.rtr && m.data_length_code) {
		void *data; xsUnsignedValue length;
		xsmcGetBufferReadable(xsArg(3), &data, &length);
		if (length < m.data_length_code) xsRangeError("data shorter than dlc");
		c_memcpy(m.data, data, m.data_length_code);
	}
	xsmcSetBoolean(xsResult, twai_transmit(&m, 0) == ESP_OK);
}

/* read(into: Uint8Array(8), header: Uint32Array(3)) -> boolean: the frame's data into `into`,
 * [id, flags, dlc] into `header`; false when none waits. No object is made per frame. */
void xs_twai_read(xsMachine *the)
{
	xsmcGetHostDataValidate(xsThis, (void *)&xsTwaiHooks);
	void *into, *header; xsUnsignedValue length, headerLength;
	xsmcGetBufferWritable(xsArg(0), &into, &length);
	if (length < 8) xsRangeError("buffer < 8 bytes");
	xsmcGetBufferWritable(xsArg(1), &header, &headerLength);
	if (headerLength < 3 * sizeof(uint32_t)) xsRangeError("header < 3 words");
	twai_message_t m;
	if (twai_receive(&m, 0) != ESP_OK) { xsmcSetBoolean(xsResult, 0); return; }
	c_memcpy(into, m.data, 8);
	uint32_t *h = header;
	h[0] = m.identifier;
	h[1] = (m.extd ? 1 : 0) | (m.rtr ? 2 : 0);
	h[2] = m.data_length_code;
	xsmcSetBoolean(xsResult, 1);
}

/* status() -> [state 0 active / 1 passive / 2 bus-off, tec, rec] */
void xs_twai_status(xsMachine *the)
{
	xsmcGetHostDataValidate(xsThis, (void *)&xsTwaiHooks);
	twai_status_info_t s;
	twai_get_status_info(&s);
	int state = s.state == TWAI_STATE_BUS_OFF || s.state == TWAI_STATE_RECOVERING ? 2 : (s.tx_error_counter > 127 || s.rx_error_counter > 127) ? 1 : 0;
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 3);
	xsmcSetInteger(xsVar(0), state); xsmcSetIndex(xsResult, 0, xsVar(0));
	xsmcSetInteger(xsVar(0), s.tx_error_counter); xsmcSetIndex(xsResult, 1, xsVar(0));
	xsmcSetInteger(xsVar(0), s.rx_error_counter); xsmcSetIndex(xsResult, 2, xsVar(0));
}

void xs_twai_recover(xsMachine *the)
{
	xsmcGetHostDataValidate(xsThis, (void *)&xsTwaiHooks);
	twai_initiate_recovery();
}
