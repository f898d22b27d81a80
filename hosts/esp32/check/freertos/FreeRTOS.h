/* FreeRTOS as ESP-IDF 5 configures it: what xsmeter's native C uses. */
#pragma once
#include <stdint.h>
typedef uint32_t TickType_t;
typedef int BaseType_t;
typedef unsigned int UBaseType_t;
#define pdPASS 1
#define pdFALSE 0
#define pdTRUE 1
#define pdMS_TO_TICKS(ms) ((TickType_t)(ms))
typedef struct { volatile uint32_t owner; volatile uint32_t count; } portMUX_TYPE;
#define portMUX_INITIALIZER_UNLOCKED { 0xB33FFFFF, 0 }
void vPortEnterCritical(portMUX_TYPE *mux);
void vPortExitCritical(portMUX_TYPE *mux);
#define portENTER_CRITICAL(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL(mux) vPortExitCritical(mux)
