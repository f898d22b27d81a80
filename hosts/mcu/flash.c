/* A NOR flash outside the XS arena for `mcu.flashRead/Program/Erase`: the
 * board's flash partitions are not XS memory, so a role's journals and stores
 * keep their bytes here, not in XS chunks as a RamFlash would. NOR semantics:
 * erase sets 0xFF, program ANDs. 1 MB from the C heap at first use, erased. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FLASH_BYTES (1024 * 1024)
static uint8_t* flash;

uint32_t mcu_flash_size(void)
{
	if (!flash) {
		flash = malloc(FLASH_BYTES);
		if (!flash) return 0;
		memset(flash, 0xff, FLASH_BYTES);
	}
	return FLASH_BYTES;
}

/* 0 on success, -1 when [offset, offset + length) is outside the flash. */
static int inside(uint32_t offset, uint32_t length)
{
	if (!mcu_flash_size()) return -1;
	return offset <= FLASH_BYTES && length <= FLASH_BYTES - offset ? 0 : -1;
}

int mcu_flash_read(uint32_t offset, uint8_t* into, uint32_t length)
{
	if (inside(offset, length)) return -1;
	memcpy(into, flash + offset, length);
	return 0;
}

int mcu_flash_program(uint32_t offset, const uint8_t* data, uint32_t length)
{
	if (inside(offset, length)) return -1;
	for (uint32_t i = 0; i < length; i++) flash[offset + i] &= data[i];
	return 0;
}

int mcu_flash_erase(uint32_t offset, uint32_t length)
{
	if (inside(offset, length)) return -1;
	memset(flash + offset, 0xff, length);
	return 0;
}
