# bench/lib/catalogs.sh - sourced by bench/api.sh: the catalogs it serves,
# by size name.
#
#   catalog_make SIZE   sets CATALOG_FILES (the configuration files to import
#                       after data/products.jsonl) and CATALOG_CONFIGS (how
#                       many configurations they hold).  SIZE is
#     1x                the seed, data/validated-configs.jsonl (137);
#     100x              the seed 100 times over: the seed, and copies 1..99 of
#                       every configuration with "-x<copy>" after its id (the
#                       13.7k of issue 17's figures);
#     N, Nk             N (N thousand) configurations: the seed, and N minus
#                       the seed's synthetic ones from bench/fleetgen.c (ids
#                       cfg-0000000..., guest OS ids os00..os39), so that the
#                       seed's queries still find the seed's rows in a
#                       catalog of that size.
#   What is made is kept under $BUILD/bench/ and made once ($BUILD/bench/fleetgen
#   must be built: make $BUILD/bench/fleetgen).
SEED_CONFIGS=data/validated-configs.jsonl

catalog_make() {
	seed_n=$(grep -c . "$SEED_CONFIGS")
	case $1 in
	1x)
		CATALOG_FILES=$SEED_CONFIGS
		CATALOG_CONFIGS=$seed_n
		;;
	100x)
		CATALOG_FILES="$BUILD/bench/api-catalog-seed-x100.jsonl"
		if [ ! -s "$CATALOG_FILES" ]; then
			jq -c '. as $c | range(0; 100) as $k | if $k == 0 then $c else $c + { id: "\($c.id)-x\($k)" } end' \
				"$SEED_CONFIGS" >"$CATALOG_FILES.tmp" && mv "$CATALOG_FILES.tmp" "$CATALOG_FILES"
		fi
		CATALOG_CONFIGS=$((seed_n * 100))
		;;
	*[0-9] | *[0-9]k)
		n=${1%k}
		[ "$n" = "$1" ] || n=$((n * 1000))
		[ "$n" -gt "$seed_n" ] || { echo "$0: catalog size $1: more than the seed's $seed_n configurations, please" >&2; exit 2; }
		[ -x "$BUILD/bench/fleetgen" ] || { echo "$0: build $BUILD/bench/fleetgen first (make $BUILD/bench/fleetgen)" >&2; exit 2; }
		synth="$BUILD/bench/api-catalog-synth-$((n - seed_n)).jsonl"
		if [ ! -s "$synth" ]; then
			"$BUILD/bench/fleetgen" "$((n - seed_n))" 0 "$synth.tmp" /dev/null && mv "$synth.tmp" "$synth"
		fi
		CATALOG_FILES="$SEED_CONFIGS $synth"
		CATALOG_CONFIGS=$n
		;;
	*)
		echo "$0: catalog size '$1': 1x, 100x, N or Nk" >&2
		exit 2
		;;
	esac
}
