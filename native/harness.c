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
 *   JSKCOV_FEEDBACK_SLOTS libFuzzer's counters / AFL++'s bitmap bytes (default: feedback_slots_for)
 *   AFL_MAP_SIZE          AFL++ mode: the largest bitmap afl-fuzz made (the harness uses at most that)
 *   JSKCOV_HARNESS_STATS  when set, prints the mean round trip per run at exit (bench/native); in the
 *                         direct AFL++ mode the runs the executors counted instead; under afl-fuzz,
 *                         which SIGKILLs its forkserver, only with AFL_KILL_SIGNAL=15
 *   JSKCOV_SPIN_US        how long a wait polls before it blocks (default 50; 0 = block at once;
 *                         always 0 on one CPU), read by the executor too (docs/executor-protocol.md,
 *                         "The control page")
 *   JSKCOV_TRACE_CMP=1    libFuzzer mode: pass comparisons on (native/compare-bridge.c); in
 *                         AFL++ mode afl-fuzz's cmplog forkserver (-c) always does
 *   JSKCOV_AFL_MIN_TIMEOUT_MS  AFL++ mode: the shortest timeout afl-fuzz gives a run (default 5,
 *                         afl-fuzz's minimum -t); runs under a fifth of it get the next pid early
 *   JSKCOV_AFL_DIRECT=0   AFL++ mode: the piped protocol, not the direct mode (afl_piped_because)
 *   JSKCOV_EXECUTOR_CPU   where the executor runs: shared (default: the harness's CPUs, under
 *                         afl-fuzz its one core) or a CPU number (docs/executor-protocol.md,
 *                         "Where the executor runs")
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare-bridge.h"
#include "fd-io.h"
#include "pc-map.h"
#include "afl-direct.h"
#ifdef JSKCOV_LIBFUZZER
#include "libfuzzer-faults.h"
#endif

#define PROTOCOL_VERSION 3
#define HELLO_MAGIC 0x4b534a4au
#define REQUEST_RUN 1
#define REQUEST_COLLECT_AGAIN 2
#define OUTCOME_CRASH 1
#define REPLY_FLAG_RESTART 1u
#define FEATURE_COMPARE_AREAS 1u
#define FEATURE_CONTROL_PAGE 2u
/* The executor's fds for requests and replies, and the area's memfd (docs/executor-protocol.md). */
#define CHILD_REQUEST_FD 3
#define CHILD_REPLY_FD 4
#define CHILD_AREA_FD 5
/* The comparison areas' memfds, when comparisons are passed on. */
#define CHILD_COMPARE_FD 6
#define CHILD_COMPARE_STRINGS_FD 7
/* The control page's memfd (protocol 3): word 0 counts the requests sent, for the executor's spin. */
#define CHILD_CONTROL_FD 8
#define CONTROL_PAGE_BYTES 4096
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

/*
 * The size of the feedback array for a target whose start-up registered `startup_blocks`
 * blocks, unless JSKCOV_FEEDBACK_SLOTS says: room for each of them and three times as many
 * loaded later, as a power of two, from 2^13 to 2^21. No larger: every run, libFuzzer
 * clears and scans every counter and afl-fuzz clears, classifies and compares its whole
 * bitmap. (The minimum was AFL++'s classic 2^16: for the bench's libraries, 430 to 760
 * blocks, that cost afl-fuzz about 6 us of CPU per run and libFuzzer about 5, against
 * about 1 at 2^13; docs/executor-protocol.md.)
 */
static size_t feedback_slots_for(size_t startup_blocks) {
  const char *text = getenv("JSKCOV_FEEDBACK_SLOTS"); /* for targets that load most code lazily */
  if (text != NULL && *text != '\0') {
    char *end;
    unsigned long long slots = strtoull(text, &end, 0);
    if (*end != '\0' || slots < 1024 || slots > (1u << 23)) fatal("JSKCOV_FEEDBACK_SLOTS must be 1024..8388608, got '%s'", text);
    return (size_t)slots;
  }
  size_t slots = (size_t)1 << 13;
  while (slots < 4 * startup_blocks && slots < ((size_t)1 << 21)) slots <<= 1;
  return slots;
}

/* Built once per harness process from the first hello (native/pc-map.h), so a slot means the
 * same block for the whole run. The first hello's PCs are kept for the direct AFL++ mode,
 * whose executors build the same map. */
static struct pc_map pc_map;
static struct {
  uint64_t *pcs;
  uint32_t count;
} startup_pcs;

/* ---- Waiting for the other process: a bounded spin, then a blocking read -------------- */

static uint64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/*
 * A process blocked in read() on an idle core costs the other side a wake-up (on this
 * project's VMs about 20 us: the core halts, and an interrupt brings it back), twice per
 * run. So each wait first polls for a while (JSKCOV_SPIN_US, default 50 us; 0 = never),
 * yielding the core between looks in case the other process shares it, and only then
 * blocks. A wait that outlasted its spin makes the next ones block at once (a slow target,
 * an idle engine): only every 16th of them spins again. But a wait that blocked without
 * spinning and was over within the spin's time says that spinning pays again (the slow
 * run was a single one): the next wait spins. Otherwise one slow input among fast ones
 * would cost 15 wake-ups. The executor does the same on the control page
 * (docs/executor-protocol.md).
 */
#define SPIN_DEFAULT_US 50
#define SPIN_RETRY_EVERY 16

struct spin {
  unsigned missed;                    /* consecutive waits that outlasted the spin */
  uint64_t blocked_since;             /* when a wait that did not spin began; 0 = none */
  uint64_t paid, outlasted, skipped;  /* all waits, for JSKCOV_HARNESS_STATS */
  int peer_on_other_cpu;              /* the process waited for has a CPU that is not ours */
};

/* Whether this process may run on one CPU only (afl-fuzz binds itself, and so its
 * forkserver and the executor, to one core unless AFL_NO_AFFINITY is set; or taskset). */
static int on_one_cpu(void) {
  static int one = -1;
  if (one < 0) {
    cpu_set_t cpus;
    one = sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) == 1;
  }
  return one;
}

/* JSKCOV_SPIN_US in ns, for a wait on a process that runs on other CPUs than this one. */
static uint64_t spin_setting_ns(void) {
  static int64_t setting = -1;
  if (setting < 0) {
    const char *text = getenv("JSKCOV_SPIN_US");
    setting = (int64_t)SPIN_DEFAULT_US * 1000;
    if (text != NULL && *text != '\0') {
      char *end;
      unsigned long us = strtoul(text, &end, 10);
      if (*end != '\0' || us > 1000000) fatal("JSKCOV_SPIN_US must be 0..1000000 (microseconds), got '%s'", text);
      setting = (int64_t)us * 1000;
    }
  }
  return (uint64_t)setting;
}

/* How long a wait spins. On one CPU the process waited for cannot run while we spin, so the
 * wait blocks at once, unless that process was given a CPU of its own (the executor, see
 * "Where the executor runs"); the executor decides the same way. */
static uint64_t spin_budget_ns(const struct spin *spin) {
  return spin->peer_on_other_cpu || !on_one_cpu() ? spin_setting_ns() : 0;
}

/* Returns once `fd` is readable or the spin is over; the caller's read then blocks if need be. */
static void spin_until_readable(int fd, struct spin *spin) {
  uint64_t budget = spin_budget_ns(spin);
  if (budget == 0) { /* spinning is off */
    spin->skipped++;
    return;
  }
  if (spin->missed % SPIN_RETRY_EVERY != 0) {
    spin->missed++;
    spin->skipped++;
    spin->blocked_since = now_ns();
    return;
  }
  struct pollfd ready = {.fd = fd, .events = POLLIN};
  uint64_t until = now_ns() + budget;
  do {
    if (poll(&ready, 1, 0) != 0) { /* readable, end of file, or an error the read will report */
      spin->missed = 0;
      spin->paid++;
      return;
    }
    sched_yield(); /* returns at once on an idle core; lets the other process run on a shared one */
  } while (now_ns() < until);
  spin->missed++;
  spin->outlasted++;
}

/* After the read that followed spin_until_readable: a wait that did not spin but was over
 * within the spin's time would have been met by it, so the next wait spins again. */
static void spin_wait_over(struct spin *spin) {
  if (spin->blocked_since == 0) return;
  if (now_ns() - spin->blocked_since <= spin_budget_ns(spin)) spin->missed = 0;
  spin->blocked_since = 0;
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
  int compare_wanted; /* ask each executor for its comparison areas (set before the first start) */
  struct compare_areas compare;
  volatile uint32_t *control; /* the control page: [0] = requests written whole to its fd 3 */
  uint32_t requests_sent;
  struct spin reply_spin;     /* waits for its replies */
} executor;

struct reply {
  uint32_t outcome, flags, leftover, detail_length;
};

/* ---- Where the executor runs ------------------------------------------------------- */

/*
 * By default the executor runs where the harness may run. Under afl-fuzz that is one core
 * (afl-fuzz binds itself, and so its forkserver and the executor, to a free core unless
 * AFL_NO_AFFINITY is set): no one spins there, and each message is a switch on that core,
 * which measured cheaper than waking a process on another core, and much cheaper under
 * load than spinning across cores (docs/executor-protocol.md, "Where the executor runs").
 * JSKCOV_EXECUTOR_CPU=N binds the executor to CPU N instead; if that is not a CPU of the
 * harness's, both sides then spin for each other although each is bound to one CPU.
 */
static struct {
  int cpu;               /* the executor's CPU; -1 = it inherits the harness's CPUs */
  int harness_cpu;       /* the harness's one CPU; -1 = it may run on several */
} placement = {-1, -1};

/* The one CPU this process may run on, or -1 if it may run on several. */
static int own_single_cpu(void) {
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) != 1) return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (CPU_ISSET(cpu, &cpus)) return cpu;
  }
  return -1;
}

/* Reads JSKCOV_EXECUTOR_CPU once, before the first executor starts (restarts keep it). */
static void placement_decide(void) {
  const char *text = getenv("JSKCOV_EXECUTOR_CPU");
  placement.harness_cpu = own_single_cpu();
  if (text != NULL && *text != '\0' && strcmp(text, "shared") != 0) {
    char *end;
    long configured = sysconf(_SC_NPROCESSORS_CONF);
    unsigned long cpu = strtoul(text, &end, 10);
    if (end == text || *end != '\0' || (long)cpu >= configured || cpu >= CPU_SETSIZE) {
      fatal("JSKCOV_EXECUTOR_CPU must be 'shared' or a CPU number from 0 to %ld, got '%s'", configured - 1, text);
    }
    placement.cpu = (int)cpu;
  }
  /* The executor on a CPU that is not ours: waiting for it may spin, and it may spin for us. */
  executor.reply_spin.peer_on_other_cpu = placement.cpu >= 0 && placement.cpu != placement.harness_cpu;
  if (getenv("JSKCOV_HARNESS_VERBOSE") != NULL) {
    if (placement.cpu >= 0) {
      fprintf(stderr, "jskcov-harness: the executor runs on CPU %d (JSKCOV_EXECUTOR_CPU), the harness on %s\n", placement.cpu,
              placement.harness_cpu < 0 ? "several CPUs" : placement.harness_cpu == placement.cpu ? "the same CPU" : "another CPU");
    } else {
      fprintf(stderr, "jskcov-harness: the executor shares the harness's CPUs (%s)\n", placement.harness_cpu < 0 ? "several" : "one");
    }
  }
}

/* The executor's command line and environment, prepared before any fork: after fork()
 * in a multithreaded process (libFuzzer has threads) only async-signal-safe calls are safe. */
static void executor_prepare(void) {
  const char *text = getenv("JSKCOV_EXECUTOR_ARGV");
  if (text == NULL || *text == '\0') {
    fatal("JSKCOV_EXECUTOR_ARGV is not set: run this harness through 'jskcov fuzz --engine ...', "
          "or see docs/executor-protocol.md");
  }
  placement_decide();
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
  executor.envp = calloc(env_count + 6, sizeof(char *));
  size_t e = 0;
  for (size_t i = 0; i < env_count; i++) {
    if (strncmp(environ[i], "JSKCOV_EXECUTOR_AREA=", 21) != 0 && strncmp(environ[i], "JSKCOV_EXECUTOR_CMP_", 20) != 0 &&
        strncmp(environ[i], "JSKCOV_EXECUTOR_CONTROL=", 24) != 0 && strncmp(environ[i], "JSKCOV_EXECUTOR_OWN_CPU=", 24) != 0) {
      executor.envp[e++] = environ[i];
    }
  }
  static char area_variable[64], control_variable[64], compare_variable[64], strings_variable[64];
  snprintf(area_variable, sizeof area_variable, "JSKCOV_EXECUTOR_AREA=/proc/self/fd/%d", CHILD_AREA_FD);
  executor.envp[e++] = area_variable;
  snprintf(control_variable, sizeof control_variable, "JSKCOV_EXECUTOR_CONTROL=/proc/self/fd/%d", CHILD_CONTROL_FD);
  executor.envp[e++] = control_variable;
  /* Bound to one CPU, the executor would not spin: tell it that we run elsewhere. */
  if (executor.reply_spin.peer_on_other_cpu) executor.envp[e++] = "JSKCOV_EXECUTOR_OWN_CPU=1";
  if (executor.compare_wanted) {
    snprintf(compare_variable, sizeof compare_variable, "JSKCOV_EXECUTOR_CMP_AREA=/proc/self/fd/%d", CHILD_COMPARE_FD);
    snprintf(strings_variable, sizeof strings_variable, "JSKCOV_EXECUTOR_CMP_STRINGS=/proc/self/fd/%d", CHILD_COMPARE_STRINGS_FD);
    executor.envp[e++] = compare_variable;
    executor.envp[e++] = strings_variable;
  }
  executor.envp[e] = NULL;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void executor_exec_child(pid_t parent, int request_read, int reply_write, int area_fd, int control_fd, const int compare_fds[2],
                                int null_fd) {
  /* Die with the harness, also when it is SIGKILLed or leaves through _Exit (libFuzzer's
   * timeout path): no handler of ours runs then. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127); /* the harness died before the prctl */
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL); /* the mask survives exec */
  signal(SIGPIPE, SIG_DFL);
  if (placement.cpu >= 0) {
    cpu_set_t own;
    CPU_ZERO(&own);
    CPU_SET(placement.cpu, &own);
    if (sched_setaffinity(0, sizeof own, &own) != 0) _exit(124);
  }
  /* Park our ends above the target fds first: a pipe created on fd 3 or 4 must not be
   * overwritten by another dup2, and dup2(3, 3) would keep FD_CLOEXEC set. The parked
   * copies are close-on-exec; dup2 onto a different fd clears the flag on the copy. */
  int request = fcntl(request_read, F_DUPFD_CLOEXEC, PARKING_FD);
  int reply = fcntl(reply_write, F_DUPFD_CLOEXEC, PARKING_FD);
  int area = fcntl(area_fd, F_DUPFD_CLOEXEC, PARKING_FD);
  int control = fcntl(control_fd, F_DUPFD_CLOEXEC, PARKING_FD);
  int compare = executor.compare_wanted ? fcntl(compare_fds[0], F_DUPFD_CLOEXEC, PARKING_FD) : -1;
  int strings = executor.compare_wanted ? fcntl(compare_fds[1], F_DUPFD_CLOEXEC, PARKING_FD) : -1;
  if (request < 0 || reply < 0 || area < 0 || control < 0 || (executor.compare_wanted && (compare < 0 || strings < 0))) _exit(126);
  if (dup2(request, CHILD_REQUEST_FD) < 0 || dup2(reply, CHILD_REPLY_FD) < 0 || dup2(area, CHILD_AREA_FD) < 0 ||
      dup2(control, CHILD_CONTROL_FD) < 0 || dup2(null_fd, 0) < 0) {
    _exit(126);
  }
  if (executor.compare_wanted && (dup2(compare, CHILD_COMPARE_FD) < 0 || dup2(strings, CHILD_COMPARE_STRINGS_FD) < 0)) _exit(126);
  execvpe(executor.argv[0], executor.argv, executor.envp);
  _exit(125);
}

static void executor_describe_exit(int status, char *out, size_t size) {
  if (WIFSIGNALED(status)) {
    snprintf(out, size, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    snprintf(out, size, "exited with status %d%s", code,
             code == 125   ? " (could not exec the executor command)"
             : code == 126 ? " (could not set up its fds)"
             : code == 124 ? " (could not be bound to its CPU: JSKCOV_EXECUTOR_CPU)"
                           : "");
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
  volatile uint32_t *control = executor.control;
  executor.control = NULL; /* first: JSKCOV_HARNESS_STATS's SIGTERM handler reads it */
  if (control != NULL) munmap((void *)control, CONTROL_PAGE_BYTES);
  compare_areas_unmap(&executor.compare);
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

/* The feedback array's size in slots, decided by the engine's section below from the first
 * hello's block count; the array itself is the engine's (libFuzzer's counters, AFL++'s bitmap). */
static size_t feedback_size(size_t startup_blocks);

/* Starts the executor and reads its hello; builds the PC map from the first hello. */
static void executor_start(void) {
  if (executor.argv == NULL) executor_prepare();
  int requests[2], replies[2];
  if (pipe2(requests, O_CLOEXEC) != 0 || pipe2(replies, O_CLOEXEC) != 0) fatal("pipe2: %s", strerror(errno));
  int area_fd = memfd_create("jskcov-kcov-area", MFD_CLOEXEC);
  if (area_fd < 0) fatal("memfd_create: %s", strerror(errno));
  int control_fd = memfd_create("jskcov-control", MFD_CLOEXEC);
  if (control_fd < 0 || ftruncate(control_fd, CONTROL_PAGE_BYTES) != 0) fatal("the control page's memfd: %s", strerror(errno));
  void *control = mmap(NULL, CONTROL_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, control_fd, 0);
  if (control == MAP_FAILED) fatal("mmap of the control page: %s", strerror(errno));
  int compare_fds[2] = {-1, -1};
  if (executor.compare_wanted) compare_areas_create(compare_fds);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) fatal("fork: %s", strerror(errno));
  if (pid == 0) executor_exec_child(parent, requests[0], replies[1], area_fd, control_fd, compare_fds, null_fd);
  close(requests[0]);
  close(replies[1]);
  close(null_fd);
  close(control_fd); /* the mapping keeps it alive */
  executor.pid = pid;
  executor.request_fd = requests[1];
  executor.reply_fd = replies[0];
  executor.control = control;
  executor.requests_sent = 0;
  executor.reply_spin.missed = 0;

  uint32_t hello[9]; /* the protocol-1 part first: an executor of another version is told apart */
  if (read_fully(executor.reply_fd, hello, 6 * sizeof hello[0]) != 0) {
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
  if (read_fully(executor.reply_fd, hello + 6, 3 * sizeof hello[0]) != 0) {
    executor_kill();
    fatal("the executor's hello is truncated");
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
  if (!(hello[6] & FEATURE_CONTROL_PAGE)) {
    executor_kill();
    fatal("the executor does not read the control page it was given (hello features 0x%x)", hello[6]);
  }
  if (!pc_map.built) {
    if (pc_map_build(&pc_map, pcs, block_count, feedback_size(block_count)) != 0) fatal("out of memory for the PC table");
    startup_pcs.pcs = pcs;
    startup_pcs.count = block_count;
  } else {
    free(pcs);
  }
  if (executor.compare_wanted) {
    if (!(hello[6] & FEATURE_COMPARE_AREAS)) {
      executor_kill();
      fatal("the executor did not make the comparison areas it was asked for (hello features 0x%x)", hello[6]);
    }
    compare_areas_map(&executor.compare, compare_fds, hello[7], hello[8]);
  }
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

/* Adds the area's PCs to the feedback array. Read after the reply only: the executor writes
 * word 0 and the PCs in one pwrite, from word 1 for each run and each collect again. */
static void feedback_add_area(uint8_t *feedback, int saturating_increment) {
  if (feedback_disabled()) {
    feedback[pc_map.slots - 1] = 1;
    return;
  }
  uint64_t count = __atomic_load_n(&executor.area[0], __ATOMIC_ACQUIRE);
  if (count >= executor.area_words) count = executor.area_words - 1;
  for (uint64_t i = 1; i <= count; i++) {
    size_t slot = pc_map_slot(&pc_map, executor.area[i]);
    if (saturating_increment) {
      if (feedback[slot] != 255) feedback[slot]++;
    } else {
      feedback[slot] = 1;
    }
  }
}

static void feedback_add_death(uint8_t *feedback) {
  feedback[pc_map_slot(&pc_map, EXECUTOR_DIED_PC)] = 1;
}

/* ---- The deadline ------------------------------------------------------------------ */

/*
 * JavaScript cannot interrupt itself, so the deadline of a run is the harness's: a watchdog
 * thread kills the executor of a run that is past it. The lock makes "the run is still the
 * one I saw" and the kill one step, so a kill never lands on the executor of a later run;
 * the fuzzing thread only takes it twice per run, uncontended (no system call).
 */
static struct {
  pthread_mutex_t lock;
  int watching;        /* the watchdog runs: a deadline, a memory limit, or both */
  uint64_t limit_ns;   /* 0 = no deadline */
  uint64_t expires_ns;
  int running;         /* a run is in progress */
  pid_t pid;           /* the executor of the run in progress */
  int expired;         /* the watchdog killed it */
  /* libFuzzer's -rss_limit_mb for the executor (0 = none), checked once a second during
   * runs; over_memory reports it (libfuzzer-faults.c) and does not return. */
  uint64_t memory_limit_mb;
  void (*over_memory)(pid_t executor, uint64_t peak_rss_mb);
} deadline = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct timespec watchdog_period;

/* /proc/<pid>/<name> read into text with a NUL after it: its length, or -1. */
static ssize_t read_proc_file(pid_t pid, const char *name, char *text, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const ssize_t length = read(fd, text, size - 1);
  close(fd);
  if (length >= 0) text[length] = '\0';
  return length;
}

/*
 * A process's peak resident set (VmHWM of /proc/<pid>/status) in MB; 0 if unreadable.
 * Parsed by hand: libFuzzer intercepts strstr, memcmp and the like in the whole process
 * and, while an input runs, takes their operands into its tables of compares, so a
 * strstr here would feed /proc text into its mutations (and make runs irreproducible).
 */
static uint64_t process_peak_rss_mb(pid_t pid) {
  char text[4096];
  const ssize_t length = read_proc_file(pid, "status", text, sizeof text);
  static const char field[] = "\nVmHWM:";
  const ssize_t field_length = sizeof field - 1;
  for (ssize_t at = 0; at + field_length <= length; at++) {
    ssize_t i = 0;
    while (i < field_length && text[at + i] == field[i]) i++;
    if (i < field_length) continue;
    for (i += at; i < length && (text[i] == ' ' || text[i] == '\t'); i++) {
    }
    uint64_t kb = 0;
    for (; i < length && text[i] >= '0' && text[i] <= '9'; i++) kb = kb * 10 + (uint64_t)(text[i] - '0');
    return kb / 1024;
  }
  return 0;
}

static void *watchdog_loop(void *unused) {
  (void)unused;
  uint64_t next_memory_check = 0;
  for (;;) {
    nanosleep(&watchdog_period, NULL);
    pthread_mutex_lock(&deadline.lock);
    uint64_t now = now_ns();
    if (deadline.limit_ns != 0 && deadline.running && !deadline.expired && now >= deadline.expires_ns) {
      deadline.expired = 1;
      kill(deadline.pid, SIGKILL);
    }
    int check_memory = deadline.memory_limit_mb != 0 && deadline.running && now >= next_memory_check;
    pid_t pid = deadline.pid;
    pthread_mutex_unlock(&deadline.lock);
    if (check_memory) {
      next_memory_check = now + 1000000000u; /* once a second, as libFuzzer checks its own */
      uint64_t peak = process_peak_rss_mb(pid);
      if (peak > deadline.memory_limit_mb) {
        /* Report it only if that run is still in progress; holding the lock keeps the
         * fuzzing thread from ending it and starting another meanwhile. */
        pthread_mutex_lock(&deadline.lock);
        if (deadline.running && deadline.pid == pid && !deadline.expired) deadline.over_memory(pid, peak);
        pthread_mutex_unlock(&deadline.lock);
      }
    }
  }
  return NULL;
}

/*
 * Gives every run `limit_ms` (0: no deadline). The watchdog looks 16 times per limit (every
 * 1 to 100 ms) and ends a run within the two periods before its limit, never after: the
 * engine's own timer for the same limit then always comes second. It blocks all signals,
 * so that the engine's (libFuzzer's SIGALRM, SIGINT) reach the fuzzing thread. Unused in
 * AFL++ mode, where afl-fuzz's -t is the deadline: afl-fuzz kills the pid it is given.
 */
__attribute__((unused)) static void deadline_start(uint64_t limit_ms, uint64_t memory_limit_mb, void (*over_memory)(pid_t, uint64_t)) {
  if (limit_ms == 0 && memory_limit_mb == 0) return;
  uint64_t limit = limit_ms * 1000000u, period = limit == 0 ? 100000000u : limit / 16;
  if (period > 100000000u) period = 100000000u;
  if (period < 1000000u) period = 1000000u;
  watchdog_period.tv_sec = (time_t)(period / 1000000000u);
  watchdog_period.tv_nsec = (long)(period % 1000000000u);
  deadline.limit_ns = limit == 0 ? 0 : limit > 4 * period ? limit - 2 * period : limit / 2;
  deadline.memory_limit_mb = memory_limit_mb;
  deadline.over_memory = over_memory;
  deadline.watching = 1;
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_t thread;
  int error = pthread_create(&thread, NULL, watchdog_loop, NULL);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  if (error != 0) fatal("cannot start the deadline's watchdog thread: %s", strerror(error));
  pthread_detach(thread);
}

static void deadline_arm(void) {
  if (!deadline.watching) return;
  pthread_mutex_lock(&deadline.lock);
  deadline.pid = executor.pid;
  deadline.expired = 0;
  deadline.running = 1;
  deadline.expires_ns = now_ns() + deadline.limit_ns;
  pthread_mutex_unlock(&deadline.lock);
}

/* Ends the run's deadline; returns 1 if the watchdog killed the executor. */
static int deadline_disarm(void) {
  if (!deadline.watching) return 0;
  pthread_mutex_lock(&deadline.lock);
  deadline.running = 0;
  int expired = deadline.expired;
  pthread_mutex_unlock(&deadline.lock);
  return expired;
}

/* ---- One run ------------------------------------------------------------------------ */

/*
 * JSKCOV_HARNESS_STATS (bench/native): the wall time from sending a run to having its
 * feedback, summed, and the CPU time the harness (with the engine) and the executor spent
 * from the first run on. On shared, loaded cores the CPU times are the steadier figures.
 */
static struct {
  int enabled;
  uint64_t runs, total_ns;
  pid_t executor_pid;
  uint64_t harness_cpu_us, executor_cpu_us; /* at the first run */
  /* The direct AFL++ mode, where the harness takes no part in a run: what the executors
   * counted on their control pages, and what the harness did for them. */
  struct {
    int on;
    uint64_t started_ns;      /* the first hand-over */
    uint64_t runs;            /* requests read by the executors that ended */
    uint64_t executor_cpu_us; /* their CPU time, read before each was reaped */
    uint64_t executors, statuses_passed_on, deaths_reported;
  } direct;
} stats;

static uint64_t harness_cpu_us(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (uint64_t)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000u + (uint64_t)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

/* utime + stime of a process, from /proc/<pid>/stat (in clock ticks, converted). */
static uint64_t process_cpu_us(pid_t pid) {
  char text[1024];
  if (read_proc_file(pid, "stat", text, sizeof text) <= 0) return 0;
  const char *field = strrchr(text, ')'); /* the command name may hold spaces */
  unsigned long long utime = 0, stime = 0;
  if (field == NULL || sscanf(field + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return 0;
  return (utime + stime) * 1000000u / (uint64_t)sysconf(_SC_CLK_TCK);
}

static void stats_first_run(void) {
  stats.executor_pid = executor.pid;
  stats.harness_cpu_us = harness_cpu_us();
  stats.executor_cpu_us = process_cpu_us(executor.pid);
}

/* The direct mode's runs so far: the ended executors', and the one still serving. */
static uint64_t stats_direct_runs(void) {
  return stats.direct.runs + (executor.control != NULL ? executor.control[AFL_DIRECT_RUN] : 0);
}

static void stats_print(void) {
  if (stats.direct.on) {
    uint64_t runs = stats_direct_runs();
    if (runs == 0) return;
    uint64_t executor_cpu = stats.direct.executor_cpu_us + (executor.pid > 0 ? process_cpu_us(executor.pid) : 0);
    fprintf(stderr,
            "jskcov-harness: direct AFL++ mode: %llu runs served by %llu executors (no round trip: the harness takes no part in a run), "
            "%.2f us of wall time per run from the first hand-over (afl-fuzz included), CPU per run: harness %.2f us, executors %.2f us; "
            "the harness passed on %llu long runs' statuses and reported %llu deaths\n",
            (unsigned long long)runs, (unsigned long long)stats.direct.executors, (double)(now_ns() - stats.direct.started_ns) / 1000.0 / (double)runs,
            (double)harness_cpu_us() / (double)runs, (double)executor_cpu / (double)runs, (unsigned long long)stats.direct.statuses_passed_on,
            (unsigned long long)stats.direct.deaths_reported);
    return;
  }
  if (stats.runs == 0) return;
  double runs = (double)stats.runs;
  fprintf(stderr, "jskcov-harness: %llu runs, %.2f us per round trip (request, run, reply, feedback), CPU per run: harness %.2f us",
          (unsigned long long)stats.runs, (double)stats.total_ns / 1000.0 / runs, (double)(harness_cpu_us() - stats.harness_cpu_us) / runs);
  if (executor.pid == stats.executor_pid) {
    fprintf(stderr, ", executor %.2f us", (double)(process_cpu_us(executor.pid) - stats.executor_cpu_us) / runs);
  }
  fprintf(stderr, "; waits for a reply: %llu met by the spin, %llu outlasted it, %llu did not spin\n", (unsigned long long)executor.reply_spin.paid,
          (unsigned long long)executor.reply_spin.outlasted, (unsigned long long)executor.reply_spin.skipped);
}

/*
 * afl-fuzz and its tools end the forkserver with AFL_KILL_SIGNAL (default SIGKILL), so no exit
 * handler runs there; with AFL_KILL_SIGNAL=15 this handler prints the line first. The harness
 * is single-threaded under afl-fuzz and waits in a read when afl-fuzz stops it.
 */
__attribute__((unused)) static void stats_on_sigterm(int signal_number) {
  (void)signal_number;
  stats_print();
  if (executor.pid > 0) kill(executor.pid, SIGKILL);
  _exit(0);
}

static void stats_start(void) {
  stats.enabled = getenv("JSKCOV_HARNESS_STATS") != NULL;
  if (stats.enabled) atexit(stats_print);
}

enum run_result { RUN_OK, RUN_CRASH, RUN_DIED, RUN_TIMEOUT };

/* Sends a request and its input, in one system call (and so one read for the executor)
 * whenever the pipe takes it all. */
static int write_request(uint32_t kind, const uint8_t *data, size_t size) {
  uint32_t header[2] = {kind, (uint32_t)size};
  struct iovec parts[2] = {{header, sizeof header}, {(void *)data, size}};
  ssize_t done = writev(executor.request_fd, parts, 2);
  if (done < 0 && errno != EINTR) return -1; /* EPIPE: the executor is gone */
  size_t sent = done < 0 ? 0 : (size_t)done;
  if (sent < sizeof header && write_fully(executor.request_fd, (uint8_t *)header + sent, sizeof header - sent) != 0) return -1;
  size_t data_sent = sent > sizeof header ? sent - sizeof header : 0;
  if (write_fully(executor.request_fd, data + data_sent, size - data_sent) != 0) return -1;
  /* Only now, with the whole request in the pipe: a spinning executor's read will not block. */
  __atomic_store_n(&executor.control[0], ++executor.requests_sent, __ATOMIC_RELEASE);
  return 0;
}

/* The next reply's fixed part, after the run's bounded spin. */
static int read_reply(struct reply *reply) {
  spin_until_readable(executor.reply_fd, &executor.reply_spin);
  int result = read_fully(executor.reply_fd, reply, sizeof *reply);
  spin_wait_over(&executor.reply_spin);
  return result;
}

/* The request and reply of one run, with the run's feedback; -1 if the executor is gone. */
static int executor_exchange(const uint8_t *data, size_t size, uint8_t *feedback, int saturating_increment,
                             struct reply *reply, char **detail) {
  if (write_request(REQUEST_RUN, data, size) != 0 || read_reply(reply) != 0) return -1;
  if (reply->detail_length > 0) {
    *detail = malloc(reply->detail_length + 1);
    if (*detail == NULL) fatal("out of memory for a reply of %u bytes", reply->detail_length);
    if (read_fully(executor.reply_fd, *detail, reply->detail_length) != 0) return -1;
    (*detail)[reply->detail_length] = '\0';
  }
  feedback_add_area(feedback, saturating_increment);
  uint32_t flags = reply->flags, outcome = reply->outcome;
  while (reply->leftover > 0) { /* blocks that did not fit: read them in further flushes */
    if (write_request(REQUEST_COLLECT_AGAIN, NULL, 0) != 0 || read_reply(reply) != 0) return -1;
    feedback_add_area(feedback, saturating_increment);
  }
  reply->flags |= flags;
  reply->outcome = outcome;
  return 0;
}

/*
 * Runs one input: sends the input, waits for the reply within the
 * deadline, adds the PCs to `feedback`. On RUN_CRASH, *detail holds the JavaScript stack
 * (malloc'd); on RUN_DIED, *wait_status the executor's wait status. The executor is gone
 * afterwards if it died, was killed or asked for a restart (the caller starts the next one).
 */
static enum run_result executor_run(const uint8_t *data, size_t size, uint8_t *feedback, int saturating_increment,
                                    char **detail, int *wait_status) {
  *detail = NULL;
  struct reply reply;
  if (stats.enabled && stats.runs == 0) stats_first_run();
  uint64_t started = stats.enabled ? now_ns() : 0;
  deadline_arm();
  int gone = executor_exchange(data, size, feedback, saturating_increment, &reply, detail) != 0;
  int expired = deadline_disarm(); /* before any reap: the watchdog holds the pid until then */
  if (stats.enabled) {
    stats.runs++;
    stats.total_ns += now_ns() - started;
  }
  if (expired || gone) {
    if (expired) kill(executor.pid, SIGKILL); /* the reply may have come just in time */
    *wait_status = executor_reap();
    feedback_add_death(feedback);
    return expired ? RUN_TIMEOUT : RUN_DIED;
  }
  if (executor.compare.records != NULL) compare_bridge_forward(&executor.compare);
  if (reply.flags & REPLY_FLAG_RESTART) executor_reap();
  return reply.outcome == OUTCOME_CRASH ? RUN_CRASH : RUN_OK;
}

#ifdef JSKCOV_LIBFUZZER
/* ---- libFuzzer ---------------------------------------------------------------------- */

void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);

static uint8_t *counters;

static size_t feedback_size(size_t startup_blocks) {
  return feedback_slots_for(startup_blocks);
}

/* libFuzzer reads the registered counters from its first input on, so they are registered
 * in LLVMFuzzerInitialize, once the first hello has said how many the target needs. */
static void register_counters(void) {
  counters = mmap(NULL, pc_map.slots, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (counters == MAP_FAILED) fatal("mmap of %zu counters: %s", pc_map.slots, strerror(errno));
  __sanitizer_cov_8bit_counters_init(counters, counters + pc_map.slots);
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

/* libFuzzer's -timeout in seconds (libfuzzer-faults.c reads it); 0 = none. */
static unsigned timeout_seconds;

/* The input of the run in progress, for an out-of-memory report from the watchdog. */
static const uint8_t *current_data;
static size_t current_size;

static void executor_over_memory(pid_t pid, uint64_t peak_rss_mb) {
  libfuzzer_report_oom(current_data, current_size, pid, peak_rss_mb);
}

/* An executor start inside libFuzzer's callback: its time is not the input's (-timeout). */
static void executor_restart(void) {
  libfuzzer_restart_begin();
  executor_start();
  libfuzzer_restart_end();
}

/* Starts the executor before libFuzzer's first input, so Node's start-up does not count
 * against that input's -timeout; processes that only orchestrate children start none. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  signal(SIGPIPE, SIG_IGN);
  stats_start();
  if (orchestrates_only(*argc, *argv)) return 0;
  libfuzzer_faults_init(*argc, *argv);
  timeout_seconds = libfuzzer_timeout_seconds();
  executor.compare_wanted = getenv("JSKCOV_TRACE_CMP") != NULL && strcmp(getenv("JSKCOV_TRACE_CMP"), "1") == 0;
  executor_start();
  register_counters();
  deadline_start((uint64_t)timeout_seconds * 1000, libfuzzer_rss_limit_mb(), executor_over_memory);
  return 0;
}

/*
 * The harness killed the executor at the deadline; libFuzzer reports the timeout itself
 * (timeout-<sha1>, its -timeout_exitcode) from its SIGALRM handler, which acts once the run
 * has lasted -timeout seconds: ask it each second until then (or its own alarm comes).
 */
__attribute__((noreturn)) static void report_timeout_through_libfuzzer(void) {
  struct sigaction handler;
  if (sigaction(SIGALRM, NULL, &handler) != 0 || handler.sa_handler == SIG_DFL || handler.sa_handler == SIG_IGN) {
    fprintf(stderr, "==%d== jskcov: libFuzzer handles no SIGALRM in this process: reported as a crash\n", (int)getpid());
    abort();
  }
  for (;;) {
    raise(SIGALRM);
    sleep(1);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (counters == NULL) fatal("libFuzzer ran an input in a process that was to orchestrate others only");
  libfuzzer_unit_begin();
  if (executor.pid == 0) executor_restart();
  char *detail;
  int wait_status;
  pid_t pid = executor.pid;
  current_data = data;
  current_size = size;
  switch (executor_run(data, size, counters, 0, &detail, &wait_status)) {
    case RUN_OK:
      /* A restart asked for: start the next executor now, not in the next input's time. */
      if (executor.pid == 0) executor_restart();
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
    case RUN_TIMEOUT:
      fprintf(stderr, "==%d== jskcov: the input ran past the deadline (-timeout=%u s): the harness killed executor %d\n",
              (int)getpid(), timeout_seconds, (int)pid);
      fflush(stderr);
      report_timeout_through_libfuzzer();
  }
  return 0;
}
#endif

#ifdef JSKCOV_AFL
/* ---- AFL++ -------------------------------------------------------------------------- */

#define FORKSRV_FD 198
#define FS_OPT_ENABLED 0x80000001u
#define FS_OPT_MAPSIZE 0x40000000u
#define FS_OPT_SHDMEM_FUZZ 0x01000000u
/* "cmplog as AFL++ >= 3 logs it": afl-fuzz's -c refuses a forkserver without it. */
#define FS_OPT_NEWCMPLOG 0x02000000u
#define FS_OPT_MAX_MAPSIZE ((0x00fffffeu >> 1) + 1)
#define FS_OPT_SET_MAPSIZE(x) (((x) - 1) << 1)

/*
 * The bitmap is the harness's size, at most AFL_MAP_SIZE when that is set. afl-fuzz sets it
 * to a placeholder (8 MiB) and then takes the size the forkserver's hello announces, as
 * afl-cc's runtime does: announcing the placeholder would make afl-fuzz hash 8 MiB per run.
 */
static size_t feedback_size(size_t startup_blocks) {
  size_t size = feedback_slots_for(startup_blocks);
  const char *text = getenv("AFL_MAP_SIZE");
  if (text != NULL && *text != '\0') {
    char *end;
    unsigned long long limit = strtoull(text, &end, 0);
    if (*end != '\0' || limit < 64 || limit > FS_OPT_MAX_MAPSIZE) fatal("AFL_MAP_SIZE must be 64..%u, got '%s'", FS_OPT_MAX_MAPSIZE, text);
    if (size > limit) size = (size_t)limit;
  }
  return size;
}

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
  if (result == RUN_DIED || result == RUN_TIMEOUT) return wait_status;
  return 0;
}

/*
 * The input in shared memory (__AFL_SHM_FUZZ_ID: a u32 length, then the bytes), when the
 * afl tool offers it (afl-fuzz, afl-tmin and afl-showmap do): afl-fuzz then writes no test
 * case file and the harness reads none, four and two system calls fewer per run.
 */
static const uint8_t *shared_input;

/* One run for afl-fuzz, or for a plain run outside it: reads the input, runs it, and returns
 * the wait status afl-fuzz is told; `result` and `wait_status` say what happened. */
static int run_input_for_afl(const char *input_path, uint8_t *bitmap, enum run_result *result, int *wait_status) {
  size_t size;
  const uint8_t *data;
  if (shared_input != NULL) {
    size = *(const volatile uint32_t *)shared_input;
    data = shared_input + 4;
  } else {
    data = read_input(input_path, &size);
  }
  char *detail;
  *wait_status = 0;
  *result = executor_run(data, size, bitmap, 1, &detail, wait_status);
  int status = afl_status_of(*result, *wait_status, detail);
  free(detail);
  return status;
}

/*
 * The next run's pid, sent right after a run's status instead of after afl-fuzz's next
 * request, saves afl-fuzz one blocking read (a wake-up) per run. It is safe only if
 * afl-fuzz cannot kill that executor for the run just reported: afl-fuzz kills a run's pid
 * when its select() on the status pipe outlasts the run's timeout, and that select starts
 * after afl-fuzz read the pid. So a run whose status was written less than the shortest
 * timeout after its pid cannot have timed out. afl-fuzz's shortest -t is 5 ms (afl-tmin's
 * 10, afl-showmap's 20; without -t, at least 20): runs under a fifth of JSKCOV_AFL_MIN_TIMEOUT_MS
 * (default 5) qualify. A slower run keeps the pid for afl-fuzz's next request, where
 * was_killed is still acted on.
 */
static uint64_t early_pid_bound_ns(void) {
  const char *text = getenv("JSKCOV_AFL_MIN_TIMEOUT_MS");
  unsigned long ms = 5;
  if (text != NULL && *text != '\0') {
    char *end;
    ms = strtoul(text, &end, 10);
    if (*end != '\0' || ms > 86400000) fatal("JSKCOV_AFL_MIN_TIMEOUT_MS must be 0..86400000 (milliseconds), got '%s'", text);
  }
  return (uint64_t)ms * 1000000u / 5;
}

/* Tells afl-fuzz the pid of the next run (afl-fuzz kills this pid on a timeout), after a
 * run's wait status when `status` is given: one write, so one system call and one wake-up. */
static int report_pid(pid_t *reported, uint64_t *reported_ns, const int *status) {
  *reported = executor.pid;
  *reported_ns = now_ns(); /* before the write: afl-fuzz's timer starts after it */
  uint32_t words[2] = {status != NULL ? (uint32_t)*status : 0, (uint32_t)executor.pid};
  return status != NULL ? write_fully(FORKSRV_FD + 1, words, 8) : write_fully(FORKSRV_FD + 1, &words[1], 4);
}

/* ---- The direct AFL++ mode (docs/executor-protocol.md, "The direct AFL++ mode") ---- */

/* JSKCOV_AFL_DIRECT: unset, empty or 1 = the direct mode wherever it applies (the default);
 * 0 = always the piped protocol. Read before any executor starts, so a bad value stops us first. */
static int afl_direct_setting(void) {
  static int setting = -1;
  if (setting < 0) {
    const char *text = getenv("JSKCOV_AFL_DIRECT");
    if (text != NULL && *text != '\0' && strcmp(text, "0") != 0 && strcmp(text, "1") != 0) {
      fatal("JSKCOV_AFL_DIRECT must be 1 (the direct AFL++ mode, the default) or 0 (the piped protocol), got '%s'", text);
    }
    setting = text == NULL || strcmp(text, "0") != 0;
  }
  return setting;
}

/*
 * Whether the executor takes afl-fuzz's forkserver exchange over (two process switches per
 * run instead of four; docs/executor-protocol.md, "The direct AFL++ mode"): NULL if it does,
 * else why the harness serves afl-fuzz through the piped protocol. The direct mode needs
 * afl-fuzz's bitmap and input in shared memory (afl-fuzz, afl-showmap, afl-tmin and afl-cmin
 * give both; non-instrumented -n gives neither) and the executor's addon, and it covers
 * neither the cmplog instance (its comparisons go through the harness) nor -use_feedback=0.
 */
static const char *afl_piped_because(const uint8_t *bitmap_shared) {
  const char *addon = getenv("JSKCOV_AFL_DIRECT_ADDON");
  if (!afl_direct_setting()) return "JSKCOV_AFL_DIRECT=0";
  if (bitmap_shared == NULL) return "no bitmap in shared memory (__AFL_SHM_ID: afl-fuzz's non-instrumented mode, -n)";
  if (shared_input == NULL) return "the input is not in shared memory (__AFL_SHM_FUZZ_ID)";
  if (addon == NULL || *addon == '\0') return "JSKCOV_AFL_DIRECT_ADDON (the executor's addon; jskcov fuzz --engine afl sets it) is not set";
  if (executor.compare_wanted) return "the cmplog instance (-c): its comparisons go through the harness";
  if (feedback_disabled()) return "-use_feedback=0 (JSKCOV_FEEDBACK=0)";
  return NULL;
}

/* Hands the forkserver to the executor just started: the map and the early-pid bound it needs. */
static int afl_direct_hand_over(uint64_t early_pid_before_ns) {
  size_t bytes = sizeof(struct afl_direct_config) + (size_t)startup_pcs.count * 8;
  uint8_t *payload = malloc(bytes);
  if (payload == NULL) fatal("out of memory for the direct mode's request");
  struct afl_direct_config config = {(uint32_t)pc_map.slots, startup_pcs.count, early_pid_before_ns};
  memcpy(payload, &config, sizeof config);
  memcpy(payload + sizeof config, startup_pcs.pcs, (size_t)startup_pcs.count * 8);
  int result = write_request(REQUEST_SERVE_AFL, payload, bytes);
  free(payload);
  return result;
}

/* Bytes written to a pipe and not yet read (FIONREAD works on either end); 0 on error. */
static int bytes_in_pipe(int fd) {
  int bytes = 0;
  return ioctl(fd, FIONREAD, &bytes) == 0 ? bytes : 0;
}

/*
 * Whether an executor that died while writing a run's status and the next pid (state 5) wrote
 * them. If it did, afl-fuzz either has not read them all (the status pipe holds some) or has
 * read both and written the next request (the request pipe holds it); if it did not, afl-fuzz
 * is still waiting for that status with both pipes empty. afl-fuzz only moves forward (status
 * read, request written, pid read), so looking at the status pipe first is never fooled.
 */
static int status_and_pid_written(void) {
  return bytes_in_pipe(FORKSRV_FD + 1) > 0 || bytes_in_pipe(FORKSRV_FD) > 0;
}

/*
 * The harness as the executor's supervisor: it sleeps on the executor's reply pipe, where
 * only the statuses of long runs come (written on to afl-fuzz), until the executor dies or
 * exits. Then the control page says what afl-fuzz still waits for, and the harness writes
 * it: the death's wait status for the run in progress (afl-fuzz's timeout kill, a crash of
 * Node), with the death's feedback. Then it starts the next executor. Returns once
 * afl-fuzz is gone.
 */
static void afl_direct_serve(uint8_t *bitmap, uint64_t early_pid_before_ns) {
  stats.direct.on = 1;
  stats.direct.started_ns = now_ns();
  for (;;) {
    if (executor.pid == 0) executor_start();
    if (getenv("JSKCOV_HARNESS_VERBOSE") != NULL) fprintf(stderr, "jskcov-harness: executor %d serves afl-fuzz directly\n", (int)executor.pid);
    uint32_t pid = (uint32_t)executor.pid;
    uint32_t handed_off_run = 0, pid_written_run = 0;
    if (afl_direct_hand_over(early_pid_before_ns) == 0) {
      struct afl_direct_handoff handoff;
      while (read_fully(executor.reply_fd, &handoff, sizeof handoff) == 0) {
        if (handoff.magic != AFL_DIRECT_HANDOFF_MAGIC || handoff.kind > AFL_DIRECT_HANDOFF_PID) {
          executor_kill();
          fatal("the executor sent 0x%08x (kind %u) in the direct AFL++ mode, not a run's status or pid", handoff.magic, handoff.kind);
        }
        if (handoff.kind == AFL_DIRECT_HANDOFF_PID) {
          if (write_fully(FORKSRV_FD + 1, &pid, 4) != 0) return; /* afl-fuzz is gone */
          pid_written_run = handoff.run;
          write_fully(executor.request_fd, &handoff.run, 4); /* the executor may be dead already: its death comes next */
          continue;
        }
        handed_off_run = handoff.run;
        stats.direct.statuses_passed_on++;
        if (write_fully(FORKSRV_FD + 1, &handoff.wait_status, 4) != 0) return; /* afl-fuzz is gone */
      }
    }
    volatile uint32_t *control = executor.control;
    uint32_t serving = control[AFL_DIRECT_SERVING], state = control[AFL_DIRECT_STATE], run = control[AFL_DIRECT_RUN];
    uint32_t afl_gone = control[AFL_DIRECT_AFL_GONE];
    if (stats.enabled) { /* before the reap: a dead executor's /proc entry lasts until then */
      stats.direct.executor_cpu_us += process_cpu_us(executor.pid);
      stats.direct.runs += run;
      stats.direct.executors++;
    }
    int status = executor_reap();
    if (afl_gone) return;
    if (!serving) {
      char how[128];
      executor_describe_exit(status, how, sizeof how);
      fatal("the executor %s before it took afl-fuzz's forkserver over (the direct AFL++ mode; its stderr is above). "
            "JSKCOV_AFL_DIRECT=0 turns the mode off", how);
    }
    if (getenv("JSKCOV_HARNESS_VERBOSE") != NULL) fprintf(stderr, "jskcov-harness: executor %u ended in direct state %u (wait status 0x%x)\n", pid, state, status);
    if (state == AFL_DIRECT_WAITING) continue; /* between runs: the next executor reads the next request */
    if (state == AFL_DIRECT_RUNNING && run == handed_off_run) continue; /* its status was written already */
    if (state == AFL_DIRECT_STATUS_AND_PID_WRITING && status_and_pid_written()) state = AFL_DIRECT_WAITING_EARLY_PID_SENT;
    /* A pid asked of us went out if we wrote it (we read every ask before the end of file). */
    if (state == AFL_DIRECT_PID_ASKED) state = pid_written_run == run ? AFL_DIRECT_RUNNING : AFL_DIRECT_REQUEST_READ;
    /* The request of the run that died, if the executor had not read it: afl-fuzz has written
     * it or will, since it has the pid; while waiting for the request, read it whole. */
    uint32_t request;
    if (state == AFL_DIRECT_WAITING_EARLY_PID_SENT && read_fully(FORKSRV_FD, &request, 4) != 0) return;
    if ((state == AFL_DIRECT_REQUEST_READ || state == AFL_DIRECT_REQUEST_READ_EARLY_PID_SENT) && bytes_in_pipe(FORKSRV_FD) >= 4 &&
        read_fully(FORKSRV_FD, &request, 4) != 0) {
      return;
    }
    bitmap[pc_map_slot(&pc_map, EXECUTOR_DIED_PC)] = 1;
    stats.direct.deaths_reported++;
    uint32_t words[2] = {pid, (uint32_t)status};
    if (state == AFL_DIRECT_REQUEST_READ ? write_fully(FORKSRV_FD + 1, words, 8) != 0 : write_fully(FORKSRV_FD + 1, &words[1], 4) != 0) return;
  }
}

int main(int argc, char **argv) {
  const char *input_path = argc > 1 ? argv[1] : NULL;
  const uint64_t early_pid_before_ns = early_pid_bound_ns(); /* a bad setting stops us before any executor starts */
  afl_direct_setting();
  signal(SIGPIPE, SIG_IGN);
  stats_start();
  if (stats.enabled) signal(SIGTERM, stats_on_sigterm);
  executor.compare_wanted = compare_bridge_attach_cmplog();
  executor_start(); /* before the hello, so the first run does not pay Node's start */
  size_t map_size = pc_map.slots;
  const char *shm_id = getenv("__AFL_SHM_ID");
  uint8_t *bitmap;
  if (shm_id != NULL) {
    bitmap = shmat(atoi(shm_id), NULL, 0);
    if (bitmap == (void *)-1) fatal("shmat(__AFL_SHM_ID=%s): %s", shm_id, strerror(errno));
  } else {
    bitmap = calloc(map_size, 1);
  }

  const char *input_shm_id = getenv("__AFL_SHM_FUZZ_ID");
  uint32_t hello = FS_OPT_ENABLED | FS_OPT_MAPSIZE | FS_OPT_NEWCMPLOG | FS_OPT_SET_MAPSIZE((uint32_t)map_size) | (input_shm_id != NULL ? FS_OPT_SHDMEM_FUZZ : 0);
  int under_afl = write_fully(FORKSRV_FD + 1, &hello, 4) == 0;
  if (under_afl && input_shm_id != NULL) {
    /* afl-fuzz confirms before the first run; from then on every input is in shared memory. */
    uint32_t confirmed = 0;
    if (read_fully(FORKSRV_FD, &confirmed, 4) != 0 || confirmed != (FS_OPT_ENABLED | FS_OPT_SHDMEM_FUZZ)) {
      fatal("afl-fuzz did not confirm the shared-memory input (got 0x%08x)", confirmed);
    }
    shared_input = shmat(atoi(input_shm_id), NULL, SHM_RDONLY);
    if (shared_input == (void *)-1) fatal("shmat(__AFL_SHM_FUZZ_ID=%s): %s", input_shm_id, strerror(errno));
  }
  if (!under_afl) {
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
  const char *piped_because = afl_piped_because(shm_id != NULL ? bitmap : NULL);
  if (piped_because == NULL) {
    afl_direct_serve(bitmap, early_pid_before_ns);
    executor_kill();
    return 0;
  }
  if (getenv("JSKCOV_HARNESS_VERBOSE") != NULL) fprintf(stderr, "jskcov-harness: the piped protocol serves afl-fuzz: %s\n", piped_because);
  pid_t reported = 0;      /* the pid afl-fuzz was given for the last run */
  uint64_t reported_ns = 0; /* when: afl-fuzz's timer for that run started after it */
  int pid_sent_early = 0;   /* the next run's pid is already in afl-fuzz's status pipe */
  struct spin request_spin = {0}; /* afl-fuzz's next run usually comes within microseconds */
  for (;;) {
    uint32_t was_killed;
    spin_until_readable(FORKSRV_FD, &request_spin);
    if (read_fully(FORKSRV_FD, &was_killed, 4) != 0) break; /* afl-fuzz is done */
    spin_wait_over(&request_spin);
    if (!pid_sent_early) {
      /* afl-fuzz's timer killed the last run's pid. Its kill may have come after that run
       * had replied: the executor then dies between runs and would take this input with it,
       * a false crash. So an executor afl-fuzz has killed never runs another input. */
      if (was_killed != 0 && executor.pid != 0 && executor.pid == reported) executor_kill();
      if (executor.pid == 0) executor_start();
      if (report_pid(&reported, &reported_ns, NULL) != 0) break;
    }
    /* A pid sent early is that of an executor afl-fuzz's timer cannot have killed (below);
     * afl-fuzz has read it by now, so this run is that executor's whatever was_killed says. */
    pid_sent_early = 0;
    enum run_result result;
    int wait_status;
    int status = run_input_for_afl(input_path, bitmap, &result, &wait_status);
    if (executor.pid != 0 && now_ns() - reported_ns < early_pid_before_ns) {
      /* The run was too short for afl-fuzz's timer to have expired: its kill cannot come.
       * The next run's pid goes with this run's status, so afl-fuzz's read of it does not
       * sleep (a wake-up). */
      if (report_pid(&reported, &reported_ns, &status) != 0) break;
      pid_sent_early = 1;
    } else {
      if (write_fully(FORKSRV_FD + 1, &status, 4) != 0) break;
      if (executor.pid == 0) executor_start(); /* the next executor starts now, while afl-fuzz looks at this run's results */
    }
  }
  executor_kill();
  return 0;
}
#endif
