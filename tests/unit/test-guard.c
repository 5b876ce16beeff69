/*
 * test-guard.c - the head deadline's arithmetic (guard.c; docs/server.md,
 * "Requests and limits": a request head must arrive whole within
 * --header-timeout of the connection's start or of the previous answer).
 *
 * The reaper reads the clock once, then looks at every connection; an
 * event thread may stamp a connection (its answer done: the next head's
 * wait begins) after that reading.  Such a head has waited no time at all.
 * Before the fix the unsigned age wrapped to about 2^64 and the reaper
 * shut a busy kept-alive connection with its next request on the way:
 * bench/agents.sh's rare closed-loop "connection errors".
 */
#include "server/server-internal.h"
#include "tap.h"

#define S 1000000000ull /* a second in ns */

TEST(a_head_waiting_less_than_the_deadline_is_not_overdue)
{
	CHECK(!guard_head_overdue(100 * S, 95 * S, 10 * S));
	CHECK(!guard_head_overdue(100 * S, 100 * S, 10 * S));
	CHECK(!guard_head_overdue(100 * S, 90 * S + 1, 10 * S));
}

TEST(a_head_waiting_the_deadline_or_more_is_overdue)
{
	CHECK(guard_head_overdue(100 * S, 90 * S, 10 * S));
	CHECK(guard_head_overdue(100 * S, 1 * S, 10 * S));
	CHECK(guard_head_overdue(100 * S, 0, 10 * S));
}

TEST(a_stamp_later_than_the_reapers_clock_reading_is_not_overdue)
{
	/* Stamped 1 ns, 1 ms and 1 s after the reaper read its clock. */
	CHECK(!guard_head_overdue(100 * S, 100 * S + 1, 10 * S));
	CHECK(!guard_head_overdue(100 * S, 100 * S + S / 1000, 10 * S));
	CHECK(!guard_head_overdue(100 * S, 101 * S, 10 * S));
}

TEST(no_deadline_reaps_nothing)
{
	CHECK(!guard_head_overdue(100 * S, 0, 0));
	CHECK(!guard_head_overdue(100 * S, 101 * S, 0));
}

TAP_MAIN(a_head_waiting_less_than_the_deadline_is_not_overdue, a_head_waiting_the_deadline_or_more_is_overdue,
	 a_stamp_later_than_the_reapers_clock_reading_is_not_overdue, no_deadline_reaps_nothing)
