/* XS's chunk and slot allocation from the fixed arena (see arena.h). XS merges
 * a new chunk block with the previous one when they are adjacent, so bumping
 * upward gives it one contiguous chunk heap; it never frees blocks before the
 * machine is deleted, so freeing is a no-op. */
#include "xsAll.h"
#include "arena.h"

extern uint8_t __arena_start[], __arena_end[];

static uint8_t* bottom; /* next free chunk byte */
static uint8_t* top;    /* lowest slot byte */
static uint8_t* limit;  /* top of the budget */
static uint32_t budget;

void arena_reset(uint32_t bytes)
{
	uint32_t capacity = (uint32_t)(__arena_end - __arena_start);
	budget = (bytes == 0 || bytes > capacity) ? capacity : bytes;
	bottom = __arena_start;
	limit = __arena_start + budget;
	top = limit;
}

void arena_use(ArenaUse* use)
{
	use->budget = budget;
	use->chunkBytes = (uint32_t)(bottom - __arena_start);
	use->slotBytes = (uint32_t)(limit - top);
	use->capacity = (uint32_t)(__arena_end - __arena_start);
}

void* fxAllocateChunks(txMachine* the, txSize size)
{
	(void)the;
	size = (size + 7) & ~7;
	if ((uint32_t)(top - bottom) < (uint32_t)size)
		return C_NULL;
	void* result = bottom;
	bottom += size;
	return result;
}

void fxFreeChunks(txMachine* the, void* chunks)
{
	(void)the; (void)chunks;
}

txSlot* fxAllocateSlots(txMachine* the, txSize count)
{
	(void)the;
	uint32_t size = ((uint32_t)count * sizeof(txSlot) + 7) & ~7u;
	if ((uint32_t)(top - bottom) < size)
		return C_NULL;
	top -= size;
	return (txSlot*)top;
}

void fxFreeSlots(txMachine* the, void* slots)
{
	(void)the; (void)slots;
}
