/*
 * afl-direct.c: the executor's addon for the direct AFL++ mode (docs/executor-protocol.md,
 * "The direct AFL++ mode"). Loaded by fuzz/executor.ts when native/harness.c hands it
 * afl-fuzz's forkserver: the executor then reads afl-fuzz's requests on fd 198, writes a
 * short run's wait status with its own pid for the next run on fd 199 (the harness writes
 * the other statuses and pids, whose delivery a kill could leave in doubt), reads each
 * input from afl-fuzz's shared memory (__AFL_SHM_FUZZ_ID) and adds the run's PCs to
 * afl-fuzz's bitmap (__AFL_SHM_ID),
 * with the harness's PC -> slot map (native/pc-map.h). Per execution that is two process
 * switches (afl-fuzz -> executor -> afl-fuzz) instead of four; the harness stays alive as
 * the supervisor (crashes, timeouts, deaths, restarts).
 *
 * Node cannot attach System V shared memory itself: hence this addon. It is a Node-API
 * module whose few Node-API prototypes are declared here (the ABI is stable across Node
 * versions), so it builds without Node's headers (fuzz/engines/native-build.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "afl-direct.h"
#include "fd-io.h"
#include "pc-map.h"

/* ---- The Node-API functions used (js_native_api.h; napi_status 0 = napi_ok) ---------- */
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef napi_value (*napi_callback)(napi_env, napi_callback_info);
int napi_get_cb_info(napi_env, napi_callback_info, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
int napi_create_function(napi_env, const char *name, size_t length, napi_callback, void *data, napi_value *result);
int napi_set_named_property(napi_env, napi_value object, const char *name, napi_value value);
int napi_get_value_uint32(napi_env, napi_value, uint32_t *result);
int napi_get_value_bool(napi_env, napi_value, _Bool *result);
int napi_get_buffer_info(napi_env, napi_value, void **data, size_t *length);
int napi_get_typedarray_info(napi_env, napi_value, int *type, size_t *length, void **data, napi_value *arraybuffer, size_t *byte_offset);
int napi_get_value_string_utf8(napi_env, napi_value, char *buffer, size_t size, size_t *result);
int napi_create_buffer_copy(napi_env, size_t length, const void *data, void **result_data, napi_value *result);
int napi_get_undefined(napi_env, napi_value *result);
int napi_throw_error(napi_env, const char *code, const char *message);
#define NAPI_BIGUINT64_ARRAY 10 /* napi_biguint64_array */

static struct {
  int ready;
  struct pc_map map;
  uint64_t early_pid_bound_ns; /* runs shorter than this cannot have been killed by afl-fuzz's timer */
  uint8_t *bitmap;
  size_t bitmap_bytes;
  const uint8_t *input;        /* u32 length, then the bytes */
  uint32_t input_capacity;
  volatile uint64_t *area;     /* the executor's kcov area: word 0 = count, PCs from word 1 */
  size_t area_words;
  volatile uint32_t *control;  /* the control page, shared with the harness */
  uint32_t pid;
  int pid_sent_early;
  uint64_t pid_sent_ns;
} direct;

static uint64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static napi_value undefined(napi_env env) {
  napi_value value;
  napi_get_undefined(env, &value);
  return value;
}

static napi_value fail(napi_env env, const char *format, ...) __attribute__((format(printf, 2, 3)));
static napi_value fail(napi_env env, const char *format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* Attaches a System V segment named by an environment variable afl-fuzz set. */
static void *attach(const char *variable, int flags, size_t *bytes) {
  const char *id = getenv(variable);
  if (id == NULL || *id == '\0') return NULL;
  void *at = shmat(atoi(id), NULL, flags);
  if (at == (void *)-1) return NULL;
  struct shmid_ds info;
  *bytes = shmctl(atoi(id), IPC_STAT, &info) == 0 ? info.shm_segsz : 0;
  return at;
}

/* JSKCOV_AFL_DIRECT_KILL_AT=STAGE:RUN, for the tests only (__tests__/native-afl-direct.test.ts):
 * the executor SIGKILLs itself at that step of its RUN-th run (STAGE: request, after reading
 * it; before-pid, once "running" is stored and before its pid goes out; pid, after the pid went
 * out; status, after the run's status went out), the worst moments for a kill from outside or
 * by afl-fuzz's timer. */
enum kill_stage { KILL_NEVER, KILL_AFTER_REQUEST, KILL_BEFORE_PID, KILL_AFTER_PID, KILL_AFTER_STATUS };
static struct {
  enum kill_stage stage;
  uint32_t run;
} kill_at;

static void kill_at_parse(void) {
  const char *text = getenv("JSKCOV_AFL_DIRECT_KILL_AT");
  if (text == NULL || *text == '\0') return;
  static const char *const stages[] = {"request:", "before-pid:", "pid:", "status:"};
  for (int i = 0; i < 4; i++) {
    if (strncmp(text, stages[i], strlen(stages[i])) == 0) {
      kill_at.stage = (enum kill_stage)(i + 1);
      kill_at.run = (uint32_t)strtoul(text + strlen(stages[i]), NULL, 10);
    }
  }
}

static void kill_if_at(enum kill_stage stage) {
  if (kill_at.stage == stage && direct.control[AFL_DIRECT_RUN] == kill_at.run) kill(getpid(), SIGKILL);
}

/* setup(config: Buffer, area: BigUint64Array, controlPath: string): the harness's
 * REQUEST_SERVE_AFL payload (afl-direct.h), the executor's kcov area and the control page. */
static napi_value setup(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 3) return fail(env, "setup(config, area, controlPath)");
  void *config;
  size_t config_bytes;
  if (napi_get_buffer_info(env, argv[0], &config, &config_bytes) != 0 || config_bytes < sizeof(struct afl_direct_config)) {
    return fail(env, "the direct AFL++ mode's configuration is truncated (%zu bytes)", config_bytes);
  }
  struct afl_direct_config header;
  memcpy(&header, config, sizeof header);
  if (config_bytes != sizeof header + (size_t)header.startup_blocks * 8) return fail(env, "the direct AFL++ mode's configuration has %zu bytes for %u blocks", config_bytes, header.startup_blocks);
  uint64_t *pcs = malloc((size_t)header.startup_blocks * 8 + 1);
  if (pcs == NULL) return fail(env, "out of memory for %u startup blocks", header.startup_blocks);
  memcpy(pcs, (uint8_t *)config + sizeof header, (size_t)header.startup_blocks * 8);
  if (pc_map_build(&direct.map, pcs, header.startup_blocks, header.slots) != 0) return fail(env, "out of memory for the PC table");
  free(pcs);
  direct.early_pid_bound_ns = header.early_pid_bound_ns;

  int type;
  size_t words;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &type, &words, &data, NULL, NULL) != 0 || type != NAPI_BIGUINT64_ARRAY) return fail(env, "setup: the area is not a BigUint64Array");
  direct.area = data;
  direct.area_words = words;

  char control_path[256];
  size_t length;
  if (napi_get_value_string_utf8(env, argv[2], control_path, sizeof control_path, &length) != 0) return fail(env, "setup: the control page's path is not a string");
  int fd = open(control_path, O_RDWR | O_CLOEXEC);
  void *control = fd < 0 ? MAP_FAILED : mmap(NULL, AFL_DIRECT_CONTROL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (fd >= 0) close(fd);
  if (control == MAP_FAILED) return fail(env, "cannot map the control page %s: %s", control_path, strerror(errno));
  direct.control = control;

  size_t input_bytes = 0;
  direct.bitmap = attach("__AFL_SHM_ID", 0, &direct.bitmap_bytes);
  direct.input = attach("__AFL_SHM_FUZZ_ID", SHM_RDONLY, &input_bytes);
  if (direct.bitmap == NULL || direct.input == NULL) return fail(env, "cannot attach afl-fuzz's shared memory (__AFL_SHM_ID, __AFL_SHM_FUZZ_ID): %s", strerror(errno));
  if (direct.bitmap_bytes < direct.map.slots) return fail(env, "afl-fuzz's bitmap has %zu bytes, fewer than the %zu slots", direct.bitmap_bytes, direct.map.slots);
  direct.input_capacity = input_bytes > 4 ? (uint32_t)(input_bytes - 4) : 0;
  direct.pid = (uint32_t)getpid();
  direct.pid_sent_early = 0;
  direct.control[AFL_DIRECT_STATE] = AFL_DIRECT_WAITING;
  direct.control[AFL_DIRECT_SERVING] = 1;
  kill_at_parse();
  direct.ready = 1;
  return undefined(env);
}

/* next(): waits for afl-fuzz's next request, has the harness give it this executor's pid
 * (unless it went with the last status) and returns a copy of the input; undefined once
 * afl-fuzz is gone. */
static napi_value next(napi_env env, napi_callback_info info) {
  (void)info;
  if (!direct.ready) return fail(env, "next() before setup()");
  /* Poll, then say so, then read: a kill in the poll leaves the request in the pipe, and a kill
   * in the read is told apart by what the pipe still holds (the harness looks). */
  struct pollfd request_ready = {.fd = AFL_DIRECT_CONTROL_FD, .events = POLLIN};
  while (poll(&request_ready, 1, -1) < 0 && errno == EINTR) {
  }
  direct.control[AFL_DIRECT_STATE] = direct.pid_sent_early ? AFL_DIRECT_REQUEST_READ_EARLY_PID_SENT : AFL_DIRECT_REQUEST_READ;
  uint32_t request;
  if (read_fully(AFL_DIRECT_CONTROL_FD, &request, 4) != 0) { /* afl-fuzz closed its end: it is done */
    direct.control[AFL_DIRECT_AFL_GONE] = 1;
    return undefined(env);
  }
  __atomic_store_n(&direct.control[AFL_DIRECT_RUN], direct.control[AFL_DIRECT_RUN] + 1, __ATOMIC_RELEASE);
  kill_if_at(KILL_AFTER_REQUEST);
  if (!direct.pid_sent_early) {
    /* The harness writes a lone pid and says when it did: a kill next to our own write would
     * leave no one knowing whether afl-fuzz got it. "Asked" before the ask: afl-fuzz's timer,
     * which may kill us, starts once it has the pid. */
    direct.control[AFL_DIRECT_STATE] = AFL_DIRECT_PID_ASKED;
    kill_if_at(KILL_BEFORE_PID);
    direct.pid_sent_ns = now_ns(); /* before the harness's write: afl-fuzz's timer starts after it */
    struct afl_direct_handoff ask = {AFL_DIRECT_HANDOFF_MAGIC, direct.control[AFL_DIRECT_RUN], 0, AFL_DIRECT_HANDOFF_PID};
    uint32_t written;
    if (write_fully(AFL_DIRECT_HANDOFF_FD, &ask, sizeof ask) != 0 || read_fully(AFL_DIRECT_ACK_FD, &written, 4) != 0 || written != ask.run) {
      return fail(env, "the harness did not write this executor's pid for run %u: %s", ask.run, strerror(errno));
    }
  }
  direct.control[AFL_DIRECT_STATE] = AFL_DIRECT_RUNNING;
  if (!direct.pid_sent_early) kill_if_at(KILL_AFTER_PID);
  direct.pid_sent_early = 0;
  uint32_t length = *(const volatile uint32_t *)direct.input;
  if (length > direct.input_capacity) length = direct.input_capacity;
  napi_value buffer;
  void *copy;
  if (napi_create_buffer_copy(env, length, direct.input + 4, &copy, &buffer) != 0) return fail(env, "out of memory for an input of %u bytes", length);
  return buffer;
}

/* add(count): adds the area's PCs (words 1..count) to afl-fuzz's bitmap, as the harness does
 * (a saturating count per slot). */
static napi_value add(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 || napi_get_value_uint32(env, argv[0], &count) != 0) return fail(env, "add(count)");
  if (count >= direct.area_words) count = (uint32_t)direct.area_words - 1;
  for (uint32_t i = 1; i <= count; i++) {
    size_t slot = pc_map_slot(&direct.map, direct.area[i]);
    if (direct.bitmap[slot] != 255) direct.bitmap[slot]++;
  }
  return undefined(env);
}

/*
 * report(waitStatus, restart): the run's wait status for afl-fuzz. A run shorter than the
 * early-pid bound cannot have been killed by afl-fuzz's timer, so the status goes straight to
 * afl-fuzz with the next run's pid, in one write whose arrival the pipes show (state 5). A
 * longer run's status goes to the harness (the reply pipe), which writes it: afl-fuzz's kill
 * may be on its way, and then only the harness, which sees the death, knows whether afl-fuzz
 * got a status. So does the status before a restart, which has no pid to go with it.
 */
static napi_value report(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t status;
  _Bool restart;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 || napi_get_value_uint32(env, argv[0], &status) != 0 ||
      napi_get_value_bool(env, argv[1], &restart) != 0) {
    return fail(env, "report(waitStatus, restart)");
  }
  if (!restart && now_ns() - direct.pid_sent_ns < direct.early_pid_bound_ns) {
    uint32_t words[2] = {status, direct.pid};
    /* Before the write: once afl-fuzz has the next pid, its timer for the next run may kill us. */
    direct.control[AFL_DIRECT_STATE] = AFL_DIRECT_STATUS_AND_PID_WRITING;
    if (write_fully(AFL_DIRECT_STATUS_FD, words, 8) != 0) return fail(env, "cannot write to afl-fuzz's status pipe: %s", strerror(errno));
    kill_if_at(KILL_AFTER_STATUS);
    direct.pid_sent_early = 1;
    direct.pid_sent_ns = now_ns();
  } else {
    struct afl_direct_handoff handoff = {AFL_DIRECT_HANDOFF_MAGIC, direct.control[AFL_DIRECT_RUN], status, AFL_DIRECT_HANDOFF_STATUS};
    if (write_fully(AFL_DIRECT_HANDOFF_FD, &handoff, sizeof handoff) != 0) return fail(env, "cannot write to the harness: %s", strerror(errno));
    kill_if_at(KILL_AFTER_STATUS);
  }
  direct.control[AFL_DIRECT_STATE] = direct.pid_sent_early ? AFL_DIRECT_WAITING_EARLY_PID_SENT : AFL_DIRECT_WAITING;
  return undefined(env);
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback function;
  } functions[] = {{"setup", setup}, {"next", next}, {"add", add}, {"report", report}};
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value function;
    if (napi_create_function(env, functions[i].name, strlen(functions[i].name), functions[i].function, NULL, &function) != 0 ||
        napi_set_named_property(env, exports, functions[i].name, function) != 0) {
      return NULL;
    }
  }
  return exports;
}
