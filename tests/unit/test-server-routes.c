/*
 * test-server-routes.c - the OpenAPI document (web/openapi.json) and the
 * server's route table say the same: every documented operation is a
 * route, every route is documented, and the documented security (which
 * token) is the one the route demands.  t4001 then asks the running
 * server for every documented operation.
 */
#include <ctype.h>
#include <jansson.h>

#include "server/server-internal.h"
#include "tap.h"
#include "util/cv.h"

static json_t *openapi(void)
{
	char *path = NULL;
	json_error_t err;
	json_t *doc;

	if (asprintf(&path, "%s/web/openapi.json", tap_srcdir()) < 0)
		abort();
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!doc)
		tap_fail(__FILE__, __LINE__, "%s: line %d: %s", path, err.line, err.text);
	free(path);
	return doc;
}

static json_t *operation(json_t *doc, const char *method, const char *pattern)
{
	char lower[16];
	size_t i;

	for (i = 0; method[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)method[i]);
	lower[i] = '\0';
	return json_object_get(json_object_get(json_object_get(doc, "paths"), pattern), lower);
}

/* The documented query parameters are exactly those the route takes. */
static void check_query(json_t *doc, json_t *op, const struct route *rt)
{
	struct cv_strv names;
	char *documented;
	size_t i;
	json_t *p;

	cv_strv_init(&names);
	json_array_foreach(json_object_get(op, "parameters"), i, p) {
		const char *ref = json_string_value(json_object_get(p, "$ref"));

		if (ref && strncmp(ref, "#/components/parameters/", 24) == 0)
			p = json_object_get(json_object_get(json_object_get(doc, "components"), "parameters"), ref + 24);
		if (!cv_streq(json_string_value(json_object_get(p, "in")), "query"))
			continue;
		cv_strv_push(&names, json_string_value(json_object_get(p, "name")));
	}
	documented = cv_strv_join(&names, " ");
	if (!cv_streq(rt->query, "*") && strcmp(documented, rt->query ? rt->query : "") != 0)
		tap_fail(__FILE__, __LINE__, "%s %s: documented query parameters \"%s\", the route takes \"%s\"", rt->method,
			 rt->pattern, documented, rt->query ? rt->query : "");
	free(documented);
	cv_strv_release(&names);
}

TEST(every_route_is_documented_with_its_security)
{
	json_t *doc = openapi();

	if (!doc)
		return;
	CHECK(strncmp(json_string_value(json_object_get(doc, "openapi")), "3.", 2) == 0);
	for (size_t i = 0; i < server_n_routes; i++) {
		const struct route *rt = &server_routes[i];
		json_t *op = operation(doc, rt->method, rt->pattern), *sec;
		bool vendor = false, owner = false, customer = false;
		size_t k;
		json_t *x;

		if (!op) {
			tap_fail(__FILE__, __LINE__, "%s %s is a route but not in web/openapi.json", rt->method, rt->pattern);
			continue;
		}
		CHECK(json_is_string(json_object_get(op, "summary")) || json_is_string(json_object_get(op, "description")));
		CHECK(json_is_object(json_object_get(op, "responses")));
		sec = json_object_get(op, "security");
		json_array_foreach(sec, k, x) {
			vendor |= json_object_get(x, "vendorToken") != NULL;
			owner |= json_object_get(x, "ownerToken") != NULL;
			customer |= json_object_get(x, "customerToken") != NULL;
		}
		if (vendor != !!(rt->flags & ROUTE_VENDOR) || owner != !!(rt->flags & ROUTE_ADMIN) ||
		    customer != !!(rt->flags & ROUTE_CUSTOMER))
			tap_fail(__FILE__, __LINE__,
				 "%s %s: documented security (vendor %d, owner %d, customer %d) is not the route's",
				 rt->method, rt->pattern, vendor, owner, customer);
		check_query(doc, op, rt);
		if (!!(rt->flags & ROUTE_BODY) != (json_object_get(op, "requestBody") != NULL))
			tap_fail(__FILE__, __LINE__, "%s %s: a request body is documented iff the route reads one",
				 rt->method, rt->pattern);
	}
	json_decref(doc);
}

TEST(every_documented_operation_is_a_route)
{
	json_t *doc = openapi(), *item, *op;
	const char *pattern, *method;
	int n = 0;

	if (!doc)
		return;
	json_object_foreach(json_object_get(doc, "paths"), pattern, item) {
		json_object_foreach(item, method, op) {
			bool found = false;

			if (strcmp(method, "parameters") == 0 || strcmp(method, "summary") == 0)
				continue;
			for (size_t i = 0; i < server_n_routes && !found; i++)
				found = strcasecmp(server_routes[i].method, method) == 0 &&
					strcmp(server_routes[i].pattern, pattern) == 0;
			if (!found)
				tap_fail(__FILE__, __LINE__, "%s %s is documented but the server has no such route", method,
					 pattern);
			n++;
		}
	}
	CHECK_INT(n, (long long)server_n_routes);
	json_decref(doc);
}

TEST(route_patterns_are_well_formed_and_unique)
{
	for (size_t i = 0; i < server_n_routes; i++) {
		const struct route *rt = &server_routes[i];

		CHECK(rt->pattern[0] == '/');
		CHECK(rt->fn != NULL);
		for (size_t k = 0; k < i; k++)
			if (strcmp(rt->method, server_routes[k].method) == 0 && strcmp(rt->pattern, server_routes[k].pattern) == 0)
				tap_fail(__FILE__, __LINE__, "%s %s twice", rt->method, rt->pattern);
	}
}

TAP_MAIN(every_route_is_documented_with_its_security, every_documented_operation_is_a_route,
	 route_patterns_are_well_formed_and_unique)
