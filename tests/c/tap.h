/*
 * tap.h - a minimal TAP producer for the C unit tests.
 *
 * Each check prints "ok N - what" or "not ok N - what"; tap_done() prints the
 * plan and returns the exit status (non-zero when anything failed), so
 * tools/test can count the results of every suite the same way.
 */
#ifndef QVR_TAP_H
#define QVR_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_run, tap_failed;

static void tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    tap_run++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_run);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static int tap_done(void)
{
    printf("1..%d\n", tap_run);
    if (tap_failed)
        printf("# %d of %d failed\n", tap_failed, tap_run);
    return tap_failed ? 1 : 0;
}

#endif
