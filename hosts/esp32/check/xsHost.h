/* The Moddable SDK's ESP32 xsHost.h: the part xsmeter's native C uses. */
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xs.h"
#define ICACHE_RODATA_ATTR
#define c_calloc calloc
#define c_free free
#define c_malloc malloc
#define c_memcpy memcpy
typedef void (*modMessageDeliver)(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
int modMessagePostToMachine(xsMachine *the, uint8_t *message, uint16_t messageLength, modMessageDeliver callback, void *refcon);
