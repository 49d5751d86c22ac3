/*
 * libfuzzer-faults.h: what libFuzzer would see of the target if it ran in-process, but
 * cannot see of the executor, made right by the libFuzzer harness (native/harness.c):
 *
 *  - its memory: libFuzzer's -rss_limit_mb watches the harness's own peak RSS, while the
 *    target's memory is the executor's. The harness's watchdog reads the executor's peak
 *    RSS once a second and, past the limit, reports libFuzzer's out-of-memory
 *    (libfuzzer_report_oom);
 *  - executor restarts: they happen inside libFuzzer's callback, whose time libFuzzer's
 *    -timeout alarm counts. The time spent restarting is not the input's
 *    (libfuzzer_restart_begin/end).
 *
 * docs/executor-protocol.md, "Faults", says what the user sees. Built with the harness in
 * libFuzzer mode only (-DJSKCOV_LIBFUZZER).
 */
#ifndef JSKCOV_LIBFUZZER_FAULTS_H
#define JSKCOV_LIBFUZZER_FAULTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads libFuzzer's flags this file needs (-rss_limit_mb, -timeout, -artifact_prefix,
 * -exact_artifact_path, and whether the inputs are files), as libFuzzer reads them: the
 * last of each wins, and flags starting with "--" are not libFuzzer's. */
void libfuzzer_faults_init(int argc, char **argv);

/* -timeout in seconds (libFuzzer's default 1200) and -rss_limit_mb (default 2048); 0 = none. */
unsigned libfuzzer_timeout_seconds(void);
uint64_t libfuzzer_rss_limit_mb(void);

/* What libFuzzer's RssLimitCallback does, for the executor's memory: its "out-of-memory"
 * report, the input written as oom-<sha1> under -artifact_prefix (or -exact_artifact_path;
 * none for inputs given as files, as libFuzzer), and its exit status for it (71). */
__attribute__((noreturn)) void libfuzzer_report_oom(const uint8_t *data, size_t size, pid_t executor, uint64_t used_mb);

/* Around one call of LLVMFuzzerTestOneInput, and around each executor start inside it. The
 * first call also puts a filter in front of libFuzzer's SIGALRM handler: an alarm reaches
 * libFuzzer only once the input's own time (the callback's, less its restarts) is past
 * -timeout, so a restart is never reported as the input's timeout. */
void libfuzzer_unit_begin(void);
void libfuzzer_restart_begin(void);
void libfuzzer_restart_end(void);

#endif
