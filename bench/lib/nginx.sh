# bench/lib/nginx.sh - sourced by bench/api.sh: nginx as it would be
# deployed in front of static files, serving the same bytes covalid
# answers.
#
#   nginx_start DIR    serves DIR/configurations.json at
#                      /api/v1/configurations (GET) and DIR/check.json at
#                      /api/v1/check, on a free loopback port: sets
#                      NGINX_URL and NGINX_PID.
#
# Deployed means: sendfile, tcp_nopush and tcp_nodelay on; open_file_cache
# (descriptors and sizes of the files kept open, so no open/fstat a
# request); keepalive with a request limit that wrk's connections never
# reach (the default, 1000, would make nginx close each connection every
# 1000 requests where covalid keeps it); one worker a CPU; an access log,
# buffered, as covalid writes one.
#
# POST /api/v1/check: nginx's static module refuses POST to a file (405).
# `error_page 405 =200 $uri` turns that refusal into an internal redirect
# to the same URI as a GET, answered 200 with the file: nginx reads the
# posted body (and discards it: it parses nothing) and sends the file with
# sendfile.  The bench checks that a POST gets the very bytes covalid
# answered.
nginx_start() {
	mkdir -p "$W/nginx-tmp"
	chmod 755 "$W" "$1" # nginx's workers drop root to nobody and must read these
	NGINX_PORT=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport')
	cat >"$W/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log $W/nginx-access.log combined buffer=64k flush=1s;
	client_body_temp_path $W/nginx-tmp/body;
	proxy_temp_path $W/nginx-tmp/proxy;
	fastcgi_temp_path $W/nginx-tmp/fastcgi;
	uwsgi_temp_path $W/nginx-tmp/uwsgi;
	scgi_temp_path $W/nginx-tmp/scgi;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	open_file_cache max=1000 inactive=60s;
	open_file_cache_valid 60s;
	open_file_cache_min_uses 1;
	open_file_cache_errors on;
	keepalive_timeout 65s;
	keepalive_requests 1000000;
	client_max_body_size 1m;
	client_body_buffer_size 64k;
	default_type application/json;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location = /api/v1/configurations { alias $1/configurations.json; }
		location = /api/v1/check { alias $1/check.json; error_page 405 =200 \$uri; }
	}
}
CONF
	nginx -p "$W" -e "$W/nginx-error.log" -c "$W/nginx.conf" &
	NGINX_PID=$!
	NGINX_URL=http://127.0.0.1:$NGINX_PORT
	i=0
	while ! curl -sf -o /dev/null "$NGINX_URL/api/v1/configurations" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

# nginx_stop: stops it (graceful, waited for).
nginx_stop() {
	[ -n "${NGINX_PID:-}" ] || return 0
	kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
}
