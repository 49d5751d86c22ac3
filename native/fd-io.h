/*
 * fd-io.h: whole reads and writes on a pipe, retried after a signal and after a short
 * transfer. Shared by native/harness.c and native/afl-direct.c (the executor's addon in the
 * direct AFL++ mode), which both speak to afl-fuzz's forkserver pipes and to each other.
 * Both return 0 on success and -1 when the other side is gone (end of file, EPIPE: the
 * harness ignores SIGPIPE) or on another error, with errno set by the failing call.
 */
#ifndef JSKCOV_FD_IO_H
#define JSKCOV_FD_IO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

static inline int write_fully(int fd, const void *data, size_t length) {
  const uint8_t *bytes = data;
  while (length > 0) {
    ssize_t done = write(fd, bytes, length);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) return -1;
    bytes += done;
    length -= (size_t)done;
  }
  return 0;
}

static inline int read_fully(int fd, void *data, size_t length) {
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

#endif
