/*
 * afl-direct.h: what native/harness.c and the executor's addon (native/afl-direct.c) share in
 * the direct AFL++ mode (docs/executor-protocol.md, "The direct AFL++ mode").
 */
#ifndef JSKCOV_AFL_DIRECT_H
#define JSKCOV_AFL_DIRECT_H

#include <stdint.h>

/* afl-fuzz's forkserver pipes: its requests, and the pids and wait statuses it reads. */
#define AFL_DIRECT_CONTROL_FD 198
#define AFL_DIRECT_STATUS_FD 199
/* The executor's reply pipe (its fd 4): what the harness writes to afl-fuzz for it (a lone
 * pid, the status of a long run or of the run before a restart). */
#define AFL_DIRECT_HANDOFF_FD 4
/* The executor's request pipe (its fd 3): the harness's word that it wrote a lone pid. */
#define AFL_DIRECT_ACK_FD 3

/* The request that hands the forkserver to the executor (docs/executor-protocol.md). */
#define REQUEST_SERVE_AFL 4

/* The request's payload: this header, then the startup blocks' PCs (u64, ascending). */
struct afl_direct_config {
  uint32_t slots;            /* afl-fuzz's bitmap bytes the harness announced */
  uint32_t startup_blocks;   /* PCs that follow: they get slots 0..startup_blocks-1 */
  uint64_t early_pid_bound_ns;
};

/* The control page's words (u32) in the direct mode; word 0 stays the request count. */
#define AFL_DIRECT_STATE 1   /* one of the states below, written by the executor */
#define AFL_DIRECT_RUN 2     /* afl-fuzz's requests the executor has read */
#define AFL_DIRECT_AFL_GONE 3 /* 1: afl-fuzz closed its request pipe */
#define AFL_DIRECT_SERVING 4  /* 1: the executor has taken the exchange over (its setup worked) */
#define AFL_DIRECT_CONTROL_BYTES 4096

/*
 * Where the executor is in afl-fuzz's exchange, so that the harness, on its death, writes
 * what afl-fuzz still waits for (docs/executor-protocol.md, "The direct AFL++ mode"). A
 * state is stored before the step it names whenever afl-fuzz's own timeout kill can land
 * during that step, so that the kill never finds a stale state: the executor polls before
 * it reads a request (a request it was woken for but killed before it ran is still in the
 * pipe) and says "readable" before the read, and it says "running" before it writes its pid.
 */
enum afl_direct_state {
  AFL_DIRECT_WAITING = 0,                 /* polling for a request; afl-fuzz has no pid for it yet */
  AFL_DIRECT_REQUEST_READ = 1,            /* that request readable, perhaps read; its pid not yet written */
  AFL_DIRECT_RUNNING = 2,                 /* afl-fuzz has its pid; the run's status not yet written */
  AFL_DIRECT_WAITING_EARLY_PID_SENT = 3,  /* polling for a request whose pid afl-fuzz already has */
  AFL_DIRECT_REQUEST_READ_EARLY_PID_SENT = 4, /* that request readable, perhaps read */
  AFL_DIRECT_STATUS_AND_PID_WRITING = 5,  /* the run's status and the next run's pid being written, or written */
  AFL_DIRECT_PID_ASKED = 6,               /* its pid asked of the harness: afl-fuzz has it if the harness wrote it */
};

/*
 * The reply-pipe message of what the harness writes to afl-fuzz for the executor: a run's
 * wait status, or the executor's pid for a run whose pid did not go with the last status.
 * The executor never writes those itself: only the writer knows whether a write was done
 * when a kill from outside lands next to it, and the harness outlives the executor.
 */
#define AFL_DIRECT_HANDOFF_MAGIC 0x41464c53u /* "SLFA" */
enum afl_direct_handoff_kind { AFL_DIRECT_HANDOFF_STATUS = 0, AFL_DIRECT_HANDOFF_PID = 1 };
struct afl_direct_handoff {
  uint32_t magic, run, wait_status, kind; /* wait_status: 0 for a pid */
};

#endif
