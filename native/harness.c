/*
 * harness.c: lets libFuzzer or AFL++ fuzz a JavaScript target. It runs no JavaScript
 * itself: it starts the persistent Node executor (fuzz/executor.ts), sends it each
 * input, and turns the PCs of the executor's kcov area into the engine's feedback.
 * The protocol is docs/executor-protocol.md; the build is fuzz/engines/native-build.ts.
 *
 * Built twice from this one file:
 *   -DJSKCOV_LIBFUZZER  LLVMFuzzerTestOneInput, linked with libFuzzer (clang -fsanitize=fuzzer
 *                       at link time only: this file itself is not instrumented, so the
 *                       harness's own branches never count as coverage);
 *   -DJSKCOV_AFL        main() speaking AFL++'s forkserver protocol on fds 198/199, with the
 *                       persistent executor in place of a fork per input.
 *
 * Environment (set by `jskcov fuzz`):
 *   JSKCOV_EXECUTOR_ARGV  the executor's command line, one argument per line
 *   JSKCOV_RUN_CONFIG     passed through to the executor (the preload's configuration)
 *   JSKCOV_LIBFUZZER_COUNTERS  libFuzzer mode: number of 8-bit counters (default 2^18)
 *   AFL_MAP_SIZE          AFL++ mode: bitmap size (default 65536)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROTOCOL_VERSION 1
#define HELLO_MAGIC 0x4b534a4au
#define REQUEST_RUN 1
#define REQUEST_COLLECT_AGAIN 2
#define OUTCOME_CRASH 1
#define REPLY_FLAG_RESTART 1u
/* The executor's fds for requests and replies, and the area's memfd (docs/executor-protocol.md). */
#define CHILD_REQUEST_FD 3
#define CHILD_REPLY_FD 4
#define CHILD_AREA_FD 5
/* Where the parent's ends are parked in the child before the dup2s: above every target fd. */
#define PARKING_FD 10

__attribute__((noreturn, format(printf, 1, 2))) static void fatal(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("jskcov-harness: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  _exit(1);
}

/* ---- The PC -> feedback slot map -------------------------------------------------- */

/* splitmix64's finalizer: every input bit moves every output bit, so PCs 8 apart spread. */
static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

/*
 * Startup blocks (the hello's PCs) get slots 0..B-1 in ascending PC order, through an
 * open-addressing table; every other PC is hashed into the slots that remain. Built once
 * per harness process, so a slot means the same block for the whole run.
 */
static struct {
  uint64_t *keys; /* 0 = empty (no synthetic PC is 0) */
  uint32_t *values;
  size_t mask;
  size_t dense;   /* slots given to startup blocks */
  size_t slots;   /* all slots of the feedback array */
  int built;
} pc_map;

static void pc_map_build(const uint64_t *pcs, size_t count, size_t slots) {
  pc_map.slots = slots;
  pc_map.built = 1;
  if (count == 0 || count > slots / 2) return; /* too many: hash every PC */
  size_t table = 16;
  while (table < 2 * count) table <<= 1;
  pc_map.keys = calloc(table, sizeof(uint64_t));
  pc_map.values = calloc(table, sizeof(uint32_t));
  if (pc_map.keys == NULL || pc_map.values == NULL) fatal("out of memory for the PC table");
  pc_map.mask = table - 1;
  for (size_t i = 0; i < count; i++) {
    size_t at = mix64(pcs[i]) & pc_map.mask;
    while (pc_map.keys[at] != 0 && pc_map.keys[at] != pcs[i]) at = (at + 1) & pc_map.mask;
    if (pc_map.keys[at] == 0) {
      pc_map.keys[at] = pcs[i];
      pc_map.values[at] = (uint32_t)pc_map.dense++;
    }
  }
}

static inline size_t pc_map_slot(uint64_t pc) {
  uint64_t hash = mix64(pc);
  if (pc_map.keys != NULL) {
    for (size_t at = hash & pc_map.mask; pc_map.keys[at] != 0; at = (at + 1) & pc_map.mask) {
      if (pc_map.keys[at] == pc) return pc_map.values[at];
    }
  }
  return pc_map.dense + (size_t)(hash % (pc_map.slots - pc_map.dense));
}

/* ---- The executor ------------------------------------------------------------------ */

static struct {
  pid_t pid;          /* 0 = not running */
  int request_fd;     /* our end of its fd 3 */
  int reply_fd;       /* our end of its fd 4 */
  volatile uint64_t *area;
  size_t area_words;
  char **argv;
  char **envp;
} executor;

struct reply {
  uint32_t outcome, flags, leftover, detail_length;
};

static int write_fully(int fd, const void *data, size_t length) {
  const uint8_t *bytes = data;
  while (length > 0) {
    ssize_t done = write(fd, bytes, length);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) return -1; /* EPIPE (SIGPIPE is ignored): the reader is gone */
    bytes += done;
    length -= (size_t)done;
  }
  return 0;
}

/* 0 on success, -1 at end of file or on error (the writer is gone). */
static int read_fully(int fd, void *data, size_t length) {
  uint8_t *bytes = data;
  while (length > 0) {
    ssize_t done = read(fd, bytes, length);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) return -1;
    bytes += done;
    length -= (size_t)done;
  }
  return 0;
}

/* The executor's command line and environment, prepared before any fork: after fork()
 * in a multithreaded process (libFuzzer has threads) only async-signal-safe calls are safe. */
static void executor_prepare(void) {
  const char *text = getenv("JSKCOV_EXECUTOR_ARGV");
  if (text == NULL || *text == '\0') {
    fatal("JSKCOV_EXECUTOR_ARGV is not set: run this harness through 'jskcov fuzz --engine ...', "
          "or see docs/executor-protocol.md");
  }
  char *copy = strdup(text);
  size_t count = 1;
  for (const char *p = copy; *p; p++) count += *p == '\n';
  executor.argv = calloc(count + 1, sizeof(char *));
  size_t n = 0;
  for (char *line = strtok(copy, "\n"); line != NULL; line = strtok(NULL, "\n")) executor.argv[n++] = line;
  if (n == 0) fatal("JSKCOV_EXECUTOR_ARGV holds no command");

  extern char **environ;
  size_t env_count = 0;
  while (environ[env_count] != NULL) env_count++;
  executor.envp = calloc(env_count + 3, sizeof(char *));
  size_t e = 0;
  for (size_t i = 0; i < env_count; i++) {
    if (strncmp(environ[i], "JSKCOV_EXECUTOR_AREA=", 21) != 0) executor.envp[e++] = environ[i];
  }
  static char area_variable[64];
  snprintf(area_variable, sizeof area_variable, "JSKCOV_EXECUTOR_AREA=/proc/self/fd/%d", CHILD_AREA_FD);
  executor.envp[e++] = area_variable;
  executor.envp[e] = NULL;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void executor_exec_child(pid_t parent, int request_read, int reply_write, int area_fd, int null_fd) {
  /* Die with the harness, also when it is SIGKILLed or leaves through _Exit (libFuzzer's
   * timeout path): no handler of ours runs then. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127); /* the harness died before the prctl */
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL); /* the mask survives exec */
  signal(SIGPIPE, SIG_DFL);
  /* Park our ends above the target fds first: a pipe created on fd 3 or 4 must not be
   * overwritten by another dup2, and dup2(3, 3) would keep FD_CLOEXEC set. The parked
   * copies are close-on-exec; dup2 onto a different fd clears the flag on the copy. */
  int request = fcntl(request_read, F_DUPFD_CLOEXEC, PARKING_FD);
  int reply = fcntl(reply_write, F_DUPFD_CLOEXEC, PARKING_FD);
  int area = fcntl(area_fd, F_DUPFD_CLOEXEC, PARKING_FD);
  if (request < 0 || reply < 0 || area < 0) _exit(126);
  if (dup2(request, CHILD_REQUEST_FD) < 0 || dup2(reply, CHILD_REPLY_FD) < 0 || dup2(area, CHILD_AREA_FD) < 0 ||
      dup2(null_fd, 0) < 0) {
    _exit(126);
  }
  execvpe(executor.argv[0], executor.argv, executor.envp);
  _exit(125);
}

static void executor_describe_exit(int status, char *out, size_t size) {
  if (WIFSIGNALED(status)) {
    snprintf(out, size, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    snprintf(out, size, "exited with status %d%s", code,
             code == 125 ? " (could not exec the executor command)" : code == 126 ? " (could not set up its fds)" : "");
  } else {
    snprintf(out, size, "stopped (wait status 0x%x)", status);
  }
}

/* Reaps the executor (after EOF on its reply pipe, or a kill); returns its wait status. */
static int executor_reap(void) {
  int status = 0;
  close(executor.request_fd);
  close(executor.reply_fd);
  if (executor.area != NULL) munmap((void *)executor.area, executor.area_words * 8);
  executor.area = NULL;
  while (waitpid(executor.pid, &status, 0) < 0 && errno == EINTR) {
  }
  executor.pid = 0;
  return status;
}

static void executor_kill(void) {
  if (executor.pid > 0) {
    kill(executor.pid, SIGKILL);
    executor_reap();
  }
}

/* Starts the executor and reads its hello; builds the PC map from the first hello. */
static void executor_start(size_t feedback_slots) {
  if (executor.argv == NULL) executor_prepare();
  int requests[2], replies[2];
  if (pipe2(requests, O_CLOEXEC) != 0 || pipe2(replies, O_CLOEXEC) != 0) fatal("pipe2: %s", strerror(errno));
  int area_fd = memfd_create("jskcov-kcov-area", MFD_CLOEXEC);
  if (area_fd < 0) fatal("memfd_create: %s", strerror(errno));
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) fatal("fork: %s", strerror(errno));
  if (pid == 0) executor_exec_child(parent, requests[0], replies[1], area_fd, null_fd);
  close(requests[0]);
  close(replies[1]);
  close(null_fd);
  executor.pid = pid;
  executor.request_fd = requests[1];
  executor.reply_fd = replies[0];

  uint32_t hello[6];
  if (read_fully(executor.reply_fd, hello, sizeof hello) != 0) {
    char how[128];
    executor_describe_exit(executor_reap(), how, sizeof how);
    close(area_fd);
    fatal("the executor did not start: it %s before its hello. Its stderr is above; the command was "
          "JSKCOV_EXECUTOR_ARGV='%s'", how, getenv("JSKCOV_EXECUTOR_ARGV"));
  }
  if (hello[0] != HELLO_MAGIC || hello[1] != PROTOCOL_VERSION) {
    executor_kill();
    fatal("the executor answered with magic 0x%08x, protocol %u; this harness speaks protocol %d: "
          "rebuild it ('jskcov fuzz' does when the source changes)", hello[0], hello[1], PROTOCOL_VERSION);
  }
  executor.area_words = hello[2];
  uint32_t block_count = hello[3], layout_length = hello[4];
  char layout[256] = "";
  uint64_t *pcs = malloc((size_t)block_count * 8 + 1);
  if (layout_length >= sizeof layout || pcs == NULL || read_fully(executor.reply_fd, layout, layout_length) != 0 ||
      read_fully(executor.reply_fd, pcs, (size_t)block_count * 8) != 0) {
    executor_kill();
    fatal("the executor's hello is truncated or malformed (layout name of %u bytes, %u blocks)", layout_length, block_count);
  }
  if (!pc_map.built) pc_map_build(pcs, block_count, feedback_slots);
  free(pcs);
  void *area = mmap(NULL, executor.area_words * 8, PROT_READ | PROT_WRITE, MAP_SHARED, area_fd, 0);
  close(area_fd); /* the mapping keeps the memfd alive; nothing is left in /dev/shm */
  if (area == MAP_FAILED) fatal("mmap of the kcov area (%zu words): %s", executor.area_words, strerror(errno));
  executor.area = area;
  if (getenv("JSKCOV_HARNESS_VERBOSE") != NULL) {
    fprintf(stderr, "jskcov-harness: executor %d up: protocol %u, area %zu words, layout %s/%u, %u startup blocks, %zu of %zu slots dense\n",
            (int)pid, hello[1], executor.area_words, layout, hello[5], block_count, pc_map.dense, pc_map.slots);
  }
}

/* JSKCOV_FEEDBACK=0: every run sets only the last slot, so the engine keeps its seeds and
 * mutates them blind (the benchmark's "no feedback" baseline). */
static int feedback_disabled(void) {
  static int disabled = -1;
  if (disabled < 0) disabled = getenv("JSKCOV_FEEDBACK") != NULL && strcmp(getenv("JSKCOV_FEEDBACK"), "0") == 0;
  return disabled;
}

/* Adds the area's PCs to the feedback array, word 0 first (the executor stores it last). */
static void feedback_add_area(uint8_t *feedback, int saturating_increment) {
  if (feedback_disabled()) {
    feedback[pc_map.slots - 1] = 1;
    return;
  }
  uint64_t count = __atomic_load_n(&executor.area[0], __ATOMIC_ACQUIRE);
  if (count >= executor.area_words) count = executor.area_words - 1;
  for (uint64_t i = 1; i <= count; i++) {
    size_t slot = pc_map_slot(executor.area[i]);
    if (saturating_increment) {
      if (feedback[slot] != 255) feedback[slot]++;
    } else {
      feedback[slot] = 1;
    }
  }
}

/* A pseudo-PC no block has (synthetic PCs are 8-aligned): the feedback of a run whose
 * executor died or was killed, whose own coverage is lost with it. afl-fuzz keeps a hang
 * or crash only when its trace is new, so without it no hang would ever be saved. */
#define EXECUTOR_DIED_PC 0xffffffffffffff01ull

static void feedback_add_death(uint8_t *feedback) {
  feedback[pc_map_slot(EXECUTOR_DIED_PC)] = 1;
}

enum run_result { RUN_OK, RUN_CRASH, RUN_DIED };

/*
 * Runs one input: resets the area, sends the input, waits for the reply (no deadline of
 * its own: libFuzzer's alarm or afl-fuzz's kill ends a hang), adds the PCs to `feedback`.
 * On RUN_CRASH, *detail holds the JavaScript stack (malloc'd); on RUN_DIED, *wait_status
 * the executor's wait status. The executor is gone afterwards if it died or asked for a
 * restart (the caller starts the next one).
 */
static enum run_result executor_run(const uint8_t *data, size_t size, uint8_t *feedback, int saturating_increment,
                                    char **detail, int *wait_status) {
  *detail = NULL;
  __atomic_store_n(&executor.area[0], 0, __ATOMIC_RELEASE);
  uint32_t request[2] = {REQUEST_RUN, (uint32_t)size};
  struct reply reply;
  if (write_fully(executor.request_fd, request, sizeof request) != 0 || write_fully(executor.request_fd, data, size) != 0 ||
      read_fully(executor.reply_fd, &reply, sizeof reply) != 0) {
    *wait_status = executor_reap();
    feedback_add_death(feedback);
    return RUN_DIED;
  }
  if (reply.detail_length > 0) {
    *detail = malloc(reply.detail_length + 1);
    if (*detail == NULL || read_fully(executor.reply_fd, *detail, reply.detail_length) != 0) {
      *wait_status = executor_reap();
      return RUN_DIED;
    }
    (*detail)[reply.detail_length] = '\0';
  }
  feedback_add_area(feedback, saturating_increment);
  while (reply.leftover > 0) { /* blocks that did not fit: read them in further flushes */
    __atomic_store_n(&executor.area[0], 0, __ATOMIC_RELEASE);
    uint32_t again[2] = {REQUEST_COLLECT_AGAIN, 0};
    uint32_t flags = reply.flags;
    if (write_fully(executor.request_fd, again, sizeof again) != 0 || read_fully(executor.reply_fd, &reply, sizeof reply) != 0) {
      *wait_status = executor_reap();
      return RUN_DIED;
    }
    reply.flags |= flags;
    feedback_add_area(feedback, saturating_increment);
  }
  if (reply.flags & REPLY_FLAG_RESTART) executor_reap();
  return reply.outcome == OUTCOME_CRASH ? RUN_CRASH : RUN_OK;
}

#ifdef JSKCOV_LIBFUZZER
/* ---- libFuzzer ---------------------------------------------------------------------- */

void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);

static uint8_t *counters;
static size_t counter_count;

/* Registered before main, as clang's instrumentation registers a module's counters. */
__attribute__((constructor)) static void register_counters(void) {
  const char *text = getenv("JSKCOV_LIBFUZZER_COUNTERS");
  counter_count = text != NULL ? strtoull(text, NULL, 0) : (1u << 18);
  if (counter_count < 1024 || counter_count > (1u << 26)) fatal("JSKCOV_LIBFUZZER_COUNTERS must be 1024..67108864, got '%s'", text);
  counters = mmap(NULL, counter_count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (counters == MAP_FAILED) fatal("mmap of %zu counters: %s", counter_count, strerror(errno));
  __sanitizer_cov_8bit_counters_init(counters, counters + counter_count);
}

/* libFuzzer flags whose process only orchestrates others (which start their own executors). */
static int orchestrates_only(int argc, char **argv) {
  static const char *const flags[] = {"-fork=", "-jobs=", "-workers=", "-merge=", "-set_cover_merge=", "-minimize_crash=", "-help="};
  for (int i = 1; i < argc; i++) {
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
      size_t length = strlen(flags[f]);
      if (strncmp(argv[i], flags[f], length) == 0 && atoi(argv[i] + length) > 0) return 1;
    }
  }
  return 0;
}

/* Starts the executor before libFuzzer's first input, so Node's start-up does not count
 * against that input's -timeout; processes that only orchestrate children start none. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  signal(SIGPIPE, SIG_IGN);
  if (!orchestrates_only(*argc, *argv)) executor_start(counter_count);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (executor.pid == 0) executor_start(counter_count);
  char *detail;
  int wait_status;
  switch (executor_run(data, size, counters, 0, &detail, &wait_status)) {
    case RUN_OK:
      /* A restart asked for: start the next executor now, not in the next input's time. */
      if (executor.pid == 0) executor_start(counter_count);
      return 0;
    case RUN_CRASH:
      /* libFuzzer's deadly-signal handler prints its report and saves crash-<sha1>. */
      fprintf(stderr, "==%d== jskcov: the fuzz target threw (JavaScript):\n%s\n", (int)getpid(), detail);
      fflush(stderr);
      abort();
    case RUN_DIED: {
      char how[128];
      executor_describe_exit(wait_status, how, sizeof how);
      fprintf(stderr, "==%d== jskcov: the executor %s while it ran this input\n", (int)getpid(), how);
      fflush(stderr);
      abort();
    }
  }
  return 0;
}
#endif

#ifdef JSKCOV_AFL
/* ---- AFL++ -------------------------------------------------------------------------- */

#define FORKSRV_FD 198
#define FS_OPT_ENABLED 0x80000001u
#define FS_OPT_MAPSIZE 0x40000000u
#define FS_OPT_MAX_MAPSIZE ((0x00fffffeu >> 1) + 1)
#define FS_OPT_SET_MAPSIZE(x) (((x) - 1) << 1)
#define DEFAULT_MAP_SIZE 65536

/* The input: the file named on the command line (afl-fuzz's @@), else stdin, which afl-fuzz
 * rewrites and rewinds before each run. */
static uint8_t *read_input(const char *path, size_t *size) {
  static uint8_t *buffer;
  static size_t capacity;
  int fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : 0;
  if (fd < 0) fatal("cannot open the input %s: %s", path, strerror(errno));
  size_t length = 0;
  for (;;) {
    if (length == capacity) {
      capacity = capacity == 0 ? 65536 : capacity * 2;
      buffer = realloc(buffer, capacity);
      if (buffer == NULL) fatal("out of memory for an input of %zu bytes", length);
    }
    ssize_t got = pread(fd, buffer + length, capacity - length, (off_t)length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == ESPIPE) got = read(fd, buffer + length, capacity - length); /* a pipe */
    if (got < 0) fatal("cannot read the input: %s", strerror(errno));
    if (got == 0) break;
    length += (size_t)got;
  }
  if (path != NULL) close(fd);
  *size = length;
  return buffer;
}

/* The wait status afl-fuzz is told for a run: a JavaScript crash looks like SIGABRT. */
static int afl_status_of(enum run_result result, int wait_status, char *detail) {
  if (result == RUN_CRASH) {
    fprintf(stderr, "jskcov: the fuzz target threw (JavaScript):\n%s\n", detail);
    return SIGABRT;
  }
  if (result == RUN_DIED) return wait_status;
  return 0;
}

/* One run for afl-fuzz, or for a plain run outside it: reads the input, runs it, and returns
 * the wait status afl-fuzz is told; `result` and `wait_status` say what happened. */
static int run_input_for_afl(const char *input_path, uint8_t *bitmap, enum run_result *result, int *wait_status) {
  size_t size;
  uint8_t *data = read_input(input_path, &size);
  char *detail;
  *wait_status = 0;
  *result = executor_run(data, size, bitmap, 1, &detail, wait_status);
  int status = afl_status_of(*result, *wait_status, detail);
  free(detail);
  return status;
}

int main(int argc, char **argv) {
  const char *input_path = argc > 1 ? argv[1] : NULL;
  signal(SIGPIPE, SIG_IGN);
  const char *size_text = getenv("AFL_MAP_SIZE");
  size_t map_size = size_text != NULL ? strtoull(size_text, NULL, 0) : DEFAULT_MAP_SIZE;
  if (map_size < 64 || map_size > FS_OPT_MAX_MAPSIZE) fatal("AFL_MAP_SIZE must be 64..%u, got '%s'", FS_OPT_MAX_MAPSIZE, size_text);

  const char *shm_id = getenv("__AFL_SHM_ID");
  uint8_t *bitmap;
  if (shm_id != NULL) {
    bitmap = shmat(atoi(shm_id), NULL, 0);
    if (bitmap == (void *)-1) fatal("shmat(__AFL_SHM_ID=%s): %s", shm_id, strerror(errno));
  } else {
    bitmap = calloc(map_size, 1);
  }
  executor_start(map_size); /* before the hello, so the first run does not pay Node's start */

  uint32_t hello = FS_OPT_ENABLED | FS_OPT_MAPSIZE | FS_OPT_SET_MAPSIZE((uint32_t)map_size);
  if (write_fully(FORKSRV_FD + 1, &hello, 4) != 0) {
    /* Not under afl-fuzz: run the one input and exit as a crashing program would. */
    enum run_result result;
    int wait_status;
    int status = run_input_for_afl(input_path, bitmap, &result, &wait_status);
    executor_kill();
    if (status != 0) {
      char how[128];
      if (result == RUN_DIED) {
        executor_describe_exit(wait_status, how, sizeof how);
        fprintf(stderr, "jskcov: the executor %s while it ran this input\n", how);
      }
      abort();
    }
    return 0;
  }
  for (;;) {
    uint32_t was_killed;
    if (read_fully(FORKSRV_FD, &was_killed, 4) != 0) break; /* afl-fuzz is done */
    if (executor.pid == 0) executor_start(map_size);
    uint32_t pid = (uint32_t)executor.pid; /* afl-fuzz kills this pid on a timeout */
    if (write_fully(FORKSRV_FD + 1, &pid, 4) != 0) break;
    enum run_result result;
    int wait_status;
    int status = run_input_for_afl(input_path, bitmap, &result, &wait_status);
    if (write_fully(FORKSRV_FD + 1, &status, 4) != 0) break;
    /* Start the next executor now, while afl-fuzz looks at this run's results. */
    if (executor.pid == 0) executor_start(map_size);
  }
  executor_kill();
  return 0;
}
#endif
