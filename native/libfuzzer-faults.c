/*
 * libfuzzer-faults.c: the executor's memory under -rss_limit_mb, and restarts that do not
 * count against -timeout (see libfuzzer-faults.h for why and the interface).
 */
#define _GNU_SOURCE
#include "libfuzzer-faults.h"

#ifdef JSKCOV_LIBFUZZER
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* libFuzzer's own SHA-1 (FuzzerSHA1.cpp, `void fuzzer::ComputeSHA1(const uint8_t *Data,
 * size_t Len, uint8_t *Out)`), so that oom-<sha1> is named exactly as libFuzzer names it. */
void libfuzzer_compute_sha1(const uint8_t *data, size_t size, uint8_t out[20]) __asm__("_ZN6fuzzer11ComputeSHA1EPKhmPh");

/* libFuzzer's exit status after an out-of-memory (FuzzerOptions.h: OOMExitCode). */
#define LIBFUZZER_OOM_EXIT_CODE 71

static struct {
  uint64_t rss_limit_mb;
  uint64_t timeout_ns; /* 0 = no -timeout */
  const char *artifact_prefix;
  const char *exact_artifact_path;
  int inputs_are_files; /* libFuzzer runs them one by one and saves no artifact for them */
} flags = {.rss_limit_mb = 2048, .timeout_ns = 1200ull * 1000000000u, .artifact_prefix = "", .exact_artifact_path = ""};

void libfuzzer_faults_init(int argc, char **argv) {
  int inputs = 0, files = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-') {
      struct stat st;
      inputs++;
      files += stat(arg, &st) == 0 && S_ISREG(st.st_mode);
    } else if (strncmp(arg, "-rss_limit_mb=", 14) == 0) {
      long mb = atol(arg + 14);
      flags.rss_limit_mb = mb > 0 ? (uint64_t)mb : 0;
    } else if (strncmp(arg, "-timeout=", 9) == 0) {
      long seconds = atol(arg + 9);
      flags.timeout_ns = seconds > 0 ? (uint64_t)seconds * 1000000000u : 0;
    } else if (strncmp(arg, "-artifact_prefix=", 17) == 0) {
      flags.artifact_prefix = arg + 17;
    } else if (strncmp(arg, "-exact_artifact_path=", 21) == 0) {
      flags.exact_artifact_path = arg + 21;
    }
  }
  flags.inputs_are_files = inputs > 0 && files == inputs;
}

unsigned libfuzzer_timeout_seconds(void) {
  return (unsigned)(flags.timeout_ns / 1000000000u);
}

uint64_t libfuzzer_rss_limit_mb(void) {
  return flags.rss_limit_mb;
}

void libfuzzer_report_oom(const uint8_t *data, size_t size, pid_t executor, uint64_t used_mb) {
  int pid = (int)getpid();
  fprintf(stderr, "==%d== jskcov: executor %d reached a peak RSS of %llu MB, past -rss_limit_mb=%llu\n", pid, (int)executor,
          (unsigned long long)used_mb, (unsigned long long)flags.rss_limit_mb);
  /* libFuzzer's lines (FuzzerLoop.cpp, RssLimitCallback and WriteUnitToFileWithPrefix). */
  fprintf(stderr, "==%d== ERROR: libFuzzer: out-of-memory (used: %lluMb; exceeds: %lluMb)\n", pid, (unsigned long long)used_mb,
          (unsigned long long)flags.rss_limit_mb);
  fprintf(stderr, "   To change the out-of-memory limit use -rss_limit_mb=<N>\n\n");
  if (!flags.inputs_are_files) {
    char path[4096];
    if (*flags.exact_artifact_path != '\0') {
      snprintf(path, sizeof path, "%s", flags.exact_artifact_path);
    } else {
      uint8_t sha1[20];
      char hex[41];
      libfuzzer_compute_sha1(data, size, sha1);
      for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", sha1[i]);
      snprintf(path, sizeof path, "%soom-%s", flags.artifact_prefix, hex);
    }
    FILE *file = fopen(path, "wb");
    if (file == NULL || fwrite(data, 1, size, file) != size || fclose(file) != 0) {
      fprintf(stderr, "jskcov-harness: cannot write the out-of-memory input to %s\n", path);
    } else {
      fprintf(stderr, "artifact_prefix='%s'; Test unit written to %s\n", flags.artifact_prefix, path);
    }
  }
  fprintf(stderr, "SUMMARY: libFuzzer: out-of-memory\n");
  fflush(stderr);
  _Exit(LIBFUZZER_OOM_EXIT_CODE); /* as libFuzzer: at once, from the watching thread */
}

/* ---- -timeout and restarts ----------------------------------------------------------- */

static struct sigaction libfuzzer_alarm; /* libFuzzer's SIGALRM handler, once filtered */
static volatile uint64_t unit_started_ns, restart_started_ns, restarts_ns;

static uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* An alarm reaches libFuzzer only when the input's own time is past -timeout: libFuzzer
 * then measures the whole callback (restarts included) and reports the timeout itself. */
static void filtered_alarm(int signal, siginfo_t *info, void *context) {
  uint64_t now = monotonic_ns(), spent_restarting = restarts_ns;
  if (restart_started_ns != 0) spent_restarting += now - restart_started_ns;
  if (now - unit_started_ns - spent_restarting < flags.timeout_ns) return;
  if (libfuzzer_alarm.sa_flags & SA_SIGINFO) {
    libfuzzer_alarm.sa_sigaction(signal, info, context);
  } else {
    libfuzzer_alarm.sa_handler(signal);
  }
}

/* libFuzzer has set its alarm (-timeout) before the first input; filter it from then on. */
static void filter_libfuzzer_alarm(void) {
  static int done;
  if (done) return;
  done = 1;
  if (flags.timeout_ns == 0 || sigaction(SIGALRM, NULL, &libfuzzer_alarm) != 0) return;
  if (!(libfuzzer_alarm.sa_flags & SA_SIGINFO) && (libfuzzer_alarm.sa_handler == SIG_DFL || libfuzzer_alarm.sa_handler == SIG_IGN)) return;
  struct sigaction filter = libfuzzer_alarm;
  filter.sa_flags |= SA_SIGINFO;
  filter.sa_sigaction = filtered_alarm;
  sigaction(SIGALRM, &filter, NULL);
}

void libfuzzer_unit_begin(void) {
  filter_libfuzzer_alarm();
  restarts_ns = 0;
  restart_started_ns = 0;
  unit_started_ns = monotonic_ns();
}

void libfuzzer_restart_begin(void) {
  restart_started_ns = monotonic_ns();
}

void libfuzzer_restart_end(void) {
  uint64_t started = restart_started_ns;
  restarts_ns += monotonic_ns() - started;
  restart_started_ns = 0;
}
#endif
