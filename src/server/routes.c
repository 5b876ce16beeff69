/*
 * routes.c - every route the server answers, in one table: method,
 * pattern, handler, who may call it.  web/openapi.json describes the
 * same routes; tests/unit/test-server-routes.c checks the two agree and
 * t4001 asks the running server for every documented operation.
 */
#include "server/server-internal.h"
#include "util/cv.h"

/* Query parameters "*": any (the web UI's own, client-side). */
const struct route server_routes[] = {
	{ "GET", "/healthz", api_healthz, ROUTE_PUBLIC, "liveness and database check", NULL },
	{ "GET", "/metrics", api_metrics, ROUTE_PUBLIC, "Prometheus metrics", NULL },
	{ "GET", "/api/v1/openapi.json", api_openapi, ROUTE_PUBLIC, "this API's OpenAPI document", NULL },
	{ "GET", "/api/v1/products", api_products, ROUTE_PUBLIC | ROUTE_CACHE,
	  "guest OSes and hypervisors", "q vendor kind limit offset" },
	{ "GET", "/api/v1/configurations", api_configurations, ROUTE_PUBLIC | ROUTE_CACHE,
	  "validated configurations, filtered, paged", "guest hypervisor vendor status q limit offset" },
	{ "GET", "/api/v1/configurations/{id}", api_configuration, ROUTE_PUBLIC | ROUTE_CACHE,
	  "one configuration with its evidence", NULL },
	{ "POST", "/api/v1/configurations/{id}/revoke", api_revoke, ROUTE_VENDOR | ROUTE_ADMIN | ROUTE_BODY,
	  "revoke (its validating vendor or the owner)", NULL },
	{ "POST", "/api/v1/check", api_check, ROUTE_PUBLIC | ROUTE_BODY | ROUTE_CACHE,
	  "a descriptor in, the verdict out", "nearest" },
	{ "GET", "/api/v1/vendors", api_vendors, ROUTE_PUBLIC | ROUTE_CACHE,
	  "vendors of the program and of the catalog", NULL },
	{ "GET", "/api/v1/vendors/{id}", api_vendor, ROUTE_PUBLIC | ROUTE_CACHE, "one vendor", NULL },
	{ "GET", "/api/v1/vendors/{id}/configurations", api_vendor_configurations, ROUTE_PUBLIC | ROUTE_CACHE,
	  "the configurations a vendor validated (its feed)", NULL },
	{ "GET", "/api/v1/vendors/{id}/configurations.atom", api_vendor_atom, ROUTE_PUBLIC | ROUTE_CACHE,
	  "the same as Atom", NULL },
	{ "POST", "/api/v1/submissions", api_submit, ROUTE_VENDOR | ROUTE_BODY,
	  "submit a signed test log", NULL },
	{ "GET", "/api/v1/submissions", api_submissions, ROUTE_VENDOR | ROUTE_ADMIN,
	  "submissions (a vendor's own)", "vendor limit offset" },
	{ "GET", "/api/v1/submissions/{id}", api_submission, ROUTE_VENDOR | ROUTE_ADMIN,
	  "one submission with its log", NULL },
	{ "POST", "/api/v1/admin/vendors", api_admin_vendor_add, ROUTE_ADMIN | ROUTE_BODY,
	  "admit a vendor", NULL },
	{ "POST", "/api/v1/admin/vendors/{id}/keys", api_admin_key_add, ROUTE_ADMIN | ROUTE_BODY,
	  "register a vendor's public key", NULL },
	{ "DELETE", "/api/v1/admin/keys/{id}", api_admin_key_revoke, ROUTE_ADMIN, "revoke a key", NULL },
	{ "GET", "/api/v1/admin/tokens", api_admin_tokens, ROUTE_ADMIN, "tokens (never their secrets)", NULL },
	{ "POST", "/api/v1/admin/tokens", api_admin_token_add, ROUTE_ADMIN | ROUTE_BODY,
	  "issue a token", NULL },
	{ "DELETE", "/api/v1/admin/tokens/{id}", api_admin_token_revoke, ROUTE_ADMIN, "revoke a token", NULL },
	{ "GET", "/api/v1/admin/policy", api_admin_policy_get, ROUTE_ADMIN, "the validation policy", NULL },
	{ "PUT", "/api/v1/admin/policy", api_admin_policy_put, ROUTE_ADMIN | ROUTE_BODY,
	  "set the validation policy", NULL },
	{ "GET", "/", api_web, ROUTE_PUBLIC, "the web UI", "*" },
	{ "GET", "/static/{file}", api_web, ROUTE_PUBLIC, "the web UI's files", "*" },
};

const size_t server_n_routes = CV_ELEMENTSOF(server_routes);
