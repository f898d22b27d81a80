/*
 * The board's small native helpers (board-native.js, types board-native.d.ts).
 *
 * restart(): esp_restart (after a verified update, or a trial that never reached the cloud).
 *
 * Random bytes: esp_fill_random, the hardware RNG (true random while the radio
 * is on, as it is with Wi-Fi); for session ids, PBKDF2 salts and MQTT ids.
 *
 * ESP-IDF's app rollback for XS: is the running app on trial ("pending
 * verify", its first boot after an update), and confirm it. The Moddable
 * SDK's embedded:update writes the partition and switches the boot one but
 * does not expose these. Needs CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
 * (hosts/esp32/sdkconfig/sdkconfig.defaults); without it every app reads
 * "valid" and confirming is a no-op.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "esp_partition.h"
#include "app_update/include/esp_ota_ops.h"
#include "esp_random.h"
#include "esp_system.h"

void xs_board_fill_random(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	esp_fill_random(data, length);
}

void xs_board_restart(xsMachine *the)
{
	esp_restart();
}

void xs_ota_pending_verify(xsMachine *the)
{
	esp_ota_img_states_t state;
	const esp_partition_t *running = esp_ota_get_running_partition();
	if (running && (ESP_OK == esp_ota_get_state_partition(running, &state)))
		xsmcSetBoolean(xsResult, ESP_OTA_IMG_PENDING_VERIFY == state);
	else
		xsmcSetBoolean(xsResult, 0);
}

void xs_ota_mark_valid(xsMachine *the)
{
	if (ESP_OK != esp_ota_mark_app_valid_cancel_rollback())
		xsUnknownError("mark app valid failed");
}
