/*
 * The harness: creates one XS machine with a board's creation sizes in the
 * fixed arena, gives it the `mcu` host object (instructions, computrons,
 * memory, print) and evaluates one script file read over semihosting.
 *
 * Command line (QEMU -semihosting-config ...,arg=...):
 *   xsmcu <script.js> [arena=<bytes>] [chunk=<bytes>] [chunkStep=<bytes>]
 *         [heap=<slots>] [heapStep=<slots>] [stack=<slots>] [keys=<count>]
 * The script is parsed from its C buffer (as a board's bytecode comes from
 * flash, its source is never an XS string: only the bytecode of the functions it
 * creates and the data it makes take arena memory) and freed before it runs.
 * Output: lines on the semihosting console; exit status 0, or 1 on an
 * uncaught exception, 2 when the command line or script is bad, 3 on a CPU fault,
 * or 100 + XS's exit code when XS aborts (101: memory full, 102: stack overflow).
 */
#include "xsAll.h"
#include "xs.h"
#include "arena.h"
#include "clock.h"
#include "semihost.h"
#include "mcu-io.h"

typedef struct {
	const char* script;
	uint32_t arena;
	xsCreation creation;
} Options;

static uint32_t parse_number(const char* text)
{
	return (uint32_t)strtoul(text, NULL, 0);
}

static void parse_options(char* line, Options* options)
{
	char* save = NULL;
	char* word = strtok_r(line, " ", &save); /* program name */
	while ((word = strtok_r(NULL, " ", &save))) {
		char* eq = strchr(word, '=');
		if (!eq) { options->script = word; continue; }
		*eq = 0;
		uint32_t value = parse_number(eq + 1);
		if (!strcmp(word, "arena")) options->arena = value;
		else if (!strcmp(word, "chunk")) options->creation.initialChunkSize = value;
		else if (!strcmp(word, "chunkStep")) options->creation.incrementalChunkSize = value;
		else if (!strcmp(word, "heap")) options->creation.initialHeapCount = value;
		else if (!strcmp(word, "heapStep")) options->creation.incrementalHeapCount = value;
		else if (!strcmp(word, "stack")) options->creation.stackCount = value;
		else if (!strcmp(word, "keys")) options->creation.initialKeyCount = value;
		else mcu_printf("@@warning unknown option %s\n", word);
	}
}

/* Reads the whole script; its bytes live in the C heap, not the XS arena. */
static char* read_script(const char* path)
{
	int handle = semihost_open(path, 0 /* "r" */);
	if (handle < 0) return NULL;
	int length = semihost_flen(handle);
	char* text = length >= 0 ? malloc((size_t)length + 1) : NULL;
	if (text && semihost_read(handle, text, (size_t)length) != length) { free(text); text = NULL; }
	if (text) text[length] = 0;
	semihost_close(handle);
	return text;
}

/* mcu.instructions(): guest instructions since boot (virtual ns under -icount shift=0). */
static void mcu_instructions(xsMachine* the)
{
	xsResult = xsNumber((double)clock_nanoseconds());
}

/* mcu.computrons(): XS's meter, the unit of xsnap's `compute`. */
static void mcu_computrons(xsMachine* the)
{
	xsResult = xsNumber((double)the->meterIndex);
}

static void set_number(xsMachine* the, const char* name, double value)
{
	xsVar(0) = xsNumber(value);
	xsSet(xsResult, xsID(name), xsVar(0));
}

/* mcu.memory(): XS's live and peak chunk bytes and slots, and the arena's reserve. */
static void mcu_memory(xsMachine* the)
{
	ArenaUse use;
	arena_use(&use);
	xsVars(1);
	xsResult = xsNewObject();
	set_number(the, "chunksPeak", the->peakChunksSize);
	set_number(the, "chunksNow", the->currentChunksSize);
	set_number(the, "slotsPeak", the->peakHeapCount);
	set_number(the, "slotsNow", the->currentHeapCount);
	set_number(the, "slotBytes", sizeof(txSlot));
	set_number(the, "arenaChunkBytes", use.chunkBytes);
	set_number(the, "arenaSlotBytes", use.slotBytes);
	set_number(the, "arenaBudget", use.budget);
	set_number(the, "cHeapPeak", mcu_heap_peak());
}

/* mcu.census(): after a collection, what the live chunks hold by kind: the
 * bytecode of function instances (XS copies each function's code into a chunk
 * when it creates the function; a board's preloaded functions point into flash
 * instead), strings, and array buffers. */
static txSize chunk_bytes(void* address)
{
	return address ? ((txChunk*)address - 1)->size : 0;
}

static void mcu_census(xsMachine* the)
{
	double code = 0, functions = 0, strings = 0, buffers = 0;
	xsCollectGarbage();
	for (txSlot* heap = the->firstHeap; heap; heap = heap->next) {
		for (txSlot* slot = heap + 1; slot < heap->value.reference; slot++) {
			if (slot->kind == XS_CODE_KIND) { code += chunk_bytes(slot->value.code.address); functions++; }
			else if (slot->kind == XS_STRING_KIND) strings += chunk_bytes(slot->value.string);
			else if (slot->kind == XS_ARRAY_BUFFER_KIND) buffers += chunk_bytes(slot->value.arrayBuffer.address);
		}
	}
	xsVars(1);
	xsResult = xsNewObject();
	set_number(the, "codeBytes", code);
	set_number(the, "functions", functions);
	set_number(the, "stringBytes", strings);
	set_number(the, "bufferBytes", buffers);
	set_number(the, "chunksNow", the->currentChunksSize);
	set_number(the, "slotsNow", the->currentHeapCount);
}

/* The board's native AES (hosts/esp32/native-aes.ts) on the emulator: in C (aes.c).
 * mcu.aesKey(key: ArrayBuffer, offset) → ArrayBuffer of the 176-byte round keys;
 * mcu.aesEncrypt(round, src, srcOffset, dst, dstOffset) encrypts one 16-byte block. */
void mcu_aes128_expand(const uint8_t key[16], uint8_t round[176]);
void mcu_aes128_encrypt(const uint8_t round[176], const uint8_t src[16], uint8_t dst[16]);

static uint8_t* buffer_at(xsMachine* the, int arg, int offsetArg, int length)
{
	int offset = xsToInteger(xsArg(offsetArg));
	int size = xsGetArrayBufferLength(xsArg(arg));
	if (offset < 0 || offset + length > size) xsRangeError("mcu aes: %d bytes at %d of a %d-byte buffer", length, offset, size);
	return (uint8_t*)xsToArrayBuffer(xsArg(arg)) + offset;
}

static void mcu_aes_key(xsMachine* the)
{
	uint8_t round[176];
	mcu_aes128_expand(buffer_at(the, 0, 1, 16), round);
	xsResult = xsArrayBuffer(round, sizeof(round));
}

static void mcu_aes_encrypt(xsMachine* the)
{
	if (xsGetArrayBufferLength(xsArg(0)) != 176) xsRangeError("mcu aes: round keys are 176 bytes");
	uint8_t* round = (uint8_t*)xsToArrayBuffer(xsArg(0));
	uint8_t* src = buffer_at(the, 1, 2, 16);
	uint8_t* dst = buffer_at(the, 3, 4, 16);
	mcu_aes128_encrypt(round, src, dst);
}

/* The flash outside the arena (flash.c): mcu.flashRead(offset, buffer, bufferOffset, length),
 * mcu.flashProgram(...) the same, mcu.flashErase(offset, length), mcu.flashSize(). */
uint32_t mcu_flash_size(void);
int mcu_flash_read(uint32_t offset, uint8_t* into, uint32_t length);
int mcu_flash_program(uint32_t offset, const uint8_t* data, uint32_t length);
int mcu_flash_erase(uint32_t offset, uint32_t length);

static void mcu_flash_size_js(xsMachine* the)
{
	xsResult = xsNumber(mcu_flash_size());
}

static void flash_transfer(xsMachine* the, int write)
{
	uint32_t offset = (uint32_t)xsToInteger(xsArg(0));
	int length = xsToInteger(xsArg(3));
	if (length < 0) xsRangeError("mcu flash: length %d", length);
	uint8_t* bytes = buffer_at(the, 1, 2, length);
	int status = write ? mcu_flash_program(offset, bytes, (uint32_t)length) : mcu_flash_read(offset, bytes, (uint32_t)length);
	if (status) xsRangeError("mcu flash: %d bytes at %u outside the flash", length, (unsigned)offset);
}

static void mcu_flash_read_js(xsMachine* the) { flash_transfer(the, 0); }
static void mcu_flash_program_js(xsMachine* the) { flash_transfer(the, 1); }

static void mcu_flash_erase_js(xsMachine* the)
{
	uint32_t offset = (uint32_t)xsToInteger(xsArg(0));
	uint32_t length = (uint32_t)xsToInteger(xsArg(1));
	if (mcu_flash_erase(offset, length)) xsRangeError("mcu flash: erase of %u bytes at %u outside the flash", (unsigned)length, (unsigned)offset);
}

/* Stack painting: mcu.paintStack() fills the XS stack's free slots (below the
 * current top of stack) with a pattern; mcu.stackUsed() gives the most slots in
 * use since: the depth, from the stack's top, of the first four painted slots in
 * a row found going down from where the paint began. (Not scanning up from the
 * bottom: XS's dtoa and regular expressions use the free bottom of the stack as
 * scratch.) So a role's run tells its own stack depth apart from its bundle's
 * load (a board preloads the bundle). */
#define PAINT 0xA5
#define PAINT_RUN (4 * sizeof(txSlot))
static uint8_t* paintTop;

static void mcu_paint_stack(xsMachine* the)
{
	paintTop = (uint8_t*)the->stack;
	memset(the->stackBottom, PAINT, (size_t)(paintTop - (uint8_t*)the->stackBottom));
}

static int painted(const uint8_t* from)
{
	for (size_t i = 0; i < PAINT_RUN; i++) if (from[i] != PAINT) return 0;
	return 1;
}

static void mcu_stack_used(xsMachine* the)
{
	const uint8_t* bottom = (const uint8_t*)the->stackBottom;
	const uint8_t* top = (const uint8_t*)the->stackTop;
	const uint8_t* p = paintTop ? paintTop : bottom; /* never painted: all of it counts */
	while (p - PAINT_RUN >= bottom && !painted(p - PAINT_RUN)) p -= sizeof(txSlot);
	if (p - PAINT_RUN < bottom) p = bottom;
	xsResult = xsInteger((xsIntegerValue)((top - p) / sizeof(txSlot)));
}

/* mcu.resetPeaks(): the next peaks are those of what runs after this call. */
static void mcu_reset_peaks(xsMachine* the)
{
	the->peakChunksSize = the->currentChunksSize;
	the->peakHeapCount = the->currentHeapCount;
}

static void mcu_collect(xsMachine* the)
{
	xsCollectGarbage();
}

static void mcu_print(xsMachine* the)
{
	mcu_puts(xsToString(xsArg(0)));
}

static void define_host(xsMachine* the)
{
	static const struct { const char* name; xsCallback callback; xsIntegerValue length; } table[] = {
		{ "instructions", mcu_instructions, 0 },
		{ "computrons", mcu_computrons, 0 },
		{ "memory", mcu_memory, 0 },
		{ "resetPeaks", mcu_reset_peaks, 0 },
		{ "collect", mcu_collect, 0 },
		{ "print", mcu_print, 1 },
		{ "census", mcu_census, 0 },
		{ "paintStack", mcu_paint_stack, 0 },
		{ "stackUsed", mcu_stack_used, 0 },
		{ "aesKey", mcu_aes_key, 2 },
		{ "aesEncrypt", mcu_aes_encrypt, 5 },
		{ "flashSize", mcu_flash_size_js, 0 },
		{ "flashRead", mcu_flash_read_js, 4 },
		{ "flashProgram", mcu_flash_program_js, 4 },
		{ "flashErase", mcu_flash_erase_js, 2 },
	};
	xsVar(0) = xsNewObject();
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		xsVar(1) = xsNewHostFunction(table[i].callback, table[i].length);
		xsSet(xsVar(0), xsID(table[i].name), xsVar(1));
	}
	xsSet(xsGlobal, xsID("mcu"), xsVar(0));
}

/* Scripts only: the harness has no file system to find modules in. */
txID fxFindModule(txMachine* the, txSlot* realm, txID moduleID, txSlot* slot)
{
	(void)the; (void)realm; (void)moduleID; (void)slot;
	return XS_NO_ID;
}

void fxLoadModule(txMachine* the, txSlot* module, txID moduleID)
{
	(void)the; (void)module; (void)moduleID;
}

void fxQueuePromiseJobs(txMachine* the)
{
	the->promiseJobs = 1;
}

static void run_promise_jobs(txMachine* the)
{
	while (the->promiseJobs) {
		the->promiseJobs = 0;
		fxRunPromiseJobs(the);
	}
}

/* Runs the script as the global eval would (sloppy, global scope), parsed from
 * its C buffer, which is freed as soon as the bytecode exists. */
static void run_program(txMachine* the, char* text)
{
	txStringCStream stream = { text, 0, (txSize)strlen(text) };
	txSlot* realm = mxModuleInstanceInternal(mxProgram.value.reference)->value.module.realm;
	txScript* script = fxParseScript(the, &stream, fxStringCGetter, mxProgramFlag | mxEvalFlag);
	free(text);
	fxRunScript(the, script, mxRealmGlobal(realm), C_NULL, mxRealmClosures(realm)->value.reference, C_NULL, mxProgram.value.reference);
	mxPop();
}

static int evaluate(xsMachine* machine, char* text)
{
	int status = 0;
	xsBeginHost(machine);
	{
		xsVars(3);
		xsTry {
			define_host(the);
			run_program(the, text);
			run_promise_jobs(the); /* settle them, as xsnap does after each evaluation */
		}
		xsCatch {
			mcu_printf("@@exception %s\n", xsToString(xsException));
			xsException = xsUndefined;
			status = 1;
		}
	}
	xsEndHost(machine);
	return status;
}

static const char* abort_reason(int status)
{
	switch (status) {
	case XS_DEBUGGER_EXIT: return "debugger";
	case XS_NOT_ENOUGH_MEMORY_EXIT: return "memory full";
	case XS_STACK_OVERFLOW_EXIT: return "stack overflow";
	case XS_FATAL_CHECK_EXIT: return "fatal check";
	case XS_DEAD_STRIP_EXIT: return "dead strip";
	case XS_UNHANDLED_EXCEPTION_EXIT: return "unhandled exception";
	case XS_NO_MORE_KEYS_EXIT: return "not enough keys";
	case XS_TOO_MUCH_COMPUTATION_EXIT: return "too much computation";
	case XS_UNHANDLED_REJECTION_EXIT: return "unhandled rejection";
	default: return "unknown";
	}
}

/* XS cannot go on (memory full, stack overflow...): say why and how full, and stop. */
void fxAbort(txMachine* the, int status)
{
	const char* reason = abort_reason(status);
	ArenaUse use;
	arena_use(&use);
	mcu_printf("@@abort %d %s (chunks %lu B, slots %lu, arena %lu+%lu of %lu B)\n", status, reason,
		(unsigned long)the->currentChunksSize, (unsigned long)the->currentHeapCount,
		(unsigned long)use.chunkBytes, (unsigned long)use.slotBytes, (unsigned long)use.budget);
	semihost_exit(100 + status);
}

int main(void)
{
	static char line[1024];
	Options options = { NULL, 0, {
		32 * 1024,   /* initialChunkSize */
		8 * 1024,    /* incrementalChunkSize */
		2048,        /* initialHeapCount */
		512,         /* incrementalHeapCount */
		1024,        /* stackCount */
		2048,        /* initialKeyCount */
		512,         /* incrementalKeyCount */
		127,         /* nameModulo */
		127,         /* symbolModulo */
		64 * 1024,   /* parserBufferSize */
		127,         /* parserTableModulo */
		0,           /* staticSize */
	} };
	clock_start();
	mcu_io_start();
	if (semihost_cmdline(line, sizeof(line)) != 0) { mcu_puts("@@error no command line"); semihost_exit(2); }
	parse_options(line, &options);
	char* text = options.script ? read_script(options.script) : NULL;
	if (!text) { mcu_printf("@@error cannot read script %s\n", options.script ? options.script : "(none)"); semihost_exit(2); }
	arena_reset(options.arena);
	uint64_t t0 = clock_nanoseconds();
	xsMachine* machine = xsCreateMachine(&options.creation, "xsmeter", NULL);
	mcu_printf("@@machine %llu\n", (unsigned long long)(clock_nanoseconds() - t0));
	int status = evaluate(machine, text); /* frees text */
	mcu_printf("@@end %d\n", status);
	semihost_exit(status);
}
