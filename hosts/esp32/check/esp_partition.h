#pragma once
#include <stdint.h>
typedef int esp_err_t;
#define ESP_OK 0
typedef struct { void *flash_chip; int type; int subtype; uint32_t address; uint32_t size; uint32_t erase_size; char label[17]; int encrypted; int readonly; } esp_partition_t;
