/*
 * covalid/monitor.h - monitoring (docs/monitor.md): machines enrolled by
 * their agents, their reports, verdicts over time and health; the event
 * log people are told from (webhooks, the Atom feed, the web UI).
 *
 * Like covalid/program.h these know nothing of HTTP: each takes a store,
 * the acting user (struct program_auth) and JSON, returns JSON, and on
 * failure fills a struct program_error with the HTTP status to give.
 * Every write owns its transaction.
 */
#ifndef COVALID_MONITOR_H
#define COVALID_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "covalid/program.h"

struct store;
struct check_index;

/* ---- machines, reports, events, settings, the fleet ---- */

/* ---- webhooks and their deliveries ---- */

#endif
