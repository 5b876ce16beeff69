#!/bin/sh
# guest-deps.sh - builds what the static guest binaries link, for each
# guest architecture, from Debian's source packages (`apt-get source`; the
# set-up script enables deb-src), into BUILD/deps/ARCH (default build/):
#
#   ARCH/bin/musl-gcc        the compiler: Debian's musl-gcc for x86_64
#                            (musl-tools); for i686, musl cross-built with
#                            i686-linux-gnu-gcc (Debian ships no i686 musl)
#   ARCH/lib/libjansson.a    jansson, static, built with that compiler
#   ARCH/lib/libsodium.a     libsodium, likewise
#   kinclude/                the kernel's uapi headers (linux/, asm/,
#                            asm-generic/ from linux-libc-dev), which musl
#                            does not ship; x86's asm headers serve both
#                            x86_64 and i386 (they test __i386__)
#   win64/, win32/           the same two libraries for the Windows guest
#                            binaries (`make win`), built with Debian's
#                            mingw-w64 cross compilers (Debian ships no
#                            mingw build of either)
#
# Cached: each build leaves ARCH/.stamp-PKG naming the Debian source
# version and this recipe's revision; a second run rebuilds only what is
# missing or whose source version changed, and downloads nothing then.
# Sources are unpacked under BUILD/deps/src, never in the tree.
#
# usage: scripts/guest-deps.sh [BUILD [ARCH...]]   (default: every ARCH)
set -eu

# Bump when a recipe below changes, so caches built the old way rebuild.
RECIPE=1
ARCHES="x86_64 i686 win64 win32"

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[ $# -gt 1 ] && shift && ARCHES="$*"
case $build in /*) ;; *) build="$top/$build" ;; esac
deps="$build/deps"
src="$deps/src"
jobs=${GUEST_DEPS_JOBS:-2}
[ -d "$src" ] || mkdir -p "$src"

say() { echo "guest-deps: $*"; }
die() { echo "guest-deps: $*" >&2; exit 1; }

for tool in apt-get dpkg-source autoreconf musl-gcc i686-linux-gnu-gcc x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc make; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is missing (scripts/setup.sh installs it: dpkg-dev, autoconf, automake, libtool, musl-tools, gcc-i686-linux-gnu, gcc-mingw-w64-x86-64, gcc-mingw-w64-i686)"
done

# The version `apt-get source PKG` would fetch, from its .dsc's name
# (PKG_VERSION.dsc; an epoch is not part of the name and needs none here).
src_version() {
	# (Asked in an empty directory: apt-get lists no file it finds in
	# the current one.)
	[ -d "$deps/.uris" ] || mkdir -p "$deps/.uris"
	v=$(cd "$deps/.uris" && apt-get source -qq --print-uris "$1" 2>/dev/null |
		awk -v p="$1" '$2 ~ ("^" p "_.*\\.dsc$") { v = $2; sub("^" p "_", "", v); sub("\\.dsc$", "", v); print v; exit }')
	[ -n "$v" ] || die "apt-get source $1: no source package (is deb-src enabled? scripts/setup.sh enables it)"
	echo "$v"
}

# Unpacks PKG's Debian source (patches applied) once per version; prints
# the directory.
fetch() {
	pkg=$1 ver=$2
	uver=${ver%-*}
	dir="$src/$pkg-$uver"
	if [ ! -f "$src/.unpacked-$pkg-$ver" ]; then
		rm -rf "$dir"
		say "apt-get source $pkg=$ver" >&2
		(cd "$src" && apt-get source -qq "$pkg=$ver" >&2) || die "apt-get source $pkg=$ver failed"
		[ -d "$dir" ] || die "apt-get source $pkg=$ver: no $dir"
		# jansson's source is a git snapshot without configure: make it
		# as Debian's build does (dh_autoreconf).
		if [ ! -x "$dir/configure" ]; then
			say "autoreconf $pkg" >&2
			(cd "$dir" && autoreconf -fi >autoreconf.log 2>&1) || die "autoreconf in $dir failed: see $dir/autoreconf.log"
		fi
		touch "$src/.unpacked-$pkg-$ver"
	fi
	echo "$dir"
}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# Kernel uapi headers for musl (it has none of its own).
kinc="$deps/kinclude"
if [ ! -e "$kinc/linux/ethtool.h" ]; then
	[ -d /usr/include/linux ] && [ -d /usr/include/x86_64-linux-gnu/asm ] ||
		die "kernel headers missing: /usr/include/linux, /usr/include/x86_64-linux-gnu/asm (linux-libc-dev)"
	mkdir -p "$kinc"
	ln -sfn /usr/include/linux "$kinc/linux"
	ln -sfn /usr/include/asm-generic "$kinc/asm-generic"
	ln -sfn /usr/include/x86_64-linux-gnu/asm "$kinc/asm"
fi

case " $ARCHES " in *" i686 "*) musl_ver=$(src_version musl) ;; *) musl_ver= ;; esac
jansson_ver=$(src_version jansson)
sodium_ver=$(src_version libsodium)

for arch in $ARCHES; do
	prefix="$deps/$arch"
	obj="$deps/obj/$arch"
	[ -d "$prefix/bin" ] || mkdir -p "$prefix/bin"

	# The compiler.
	case $arch in
	x86_64)
		# (A cached run writes nothing: it may not own build/.)
		gcc=$(command -v musl-gcc)
		[ "$(readlink "$prefix/bin/musl-gcc" 2>/dev/null)" = "$gcc" ] || ln -sfn "$gcc" "$prefix/bin/musl-gcc"
		# Debian's musl: the libraries rebuild when it is upgraded.
		want="musl-dev $(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null) $RECIPE"
		stamp_ok "$prefix/.stamp-cc" "$want" || echo "$want" >"$prefix/.stamp-cc"
		;;
	i686)
		# The prefix too: musl-gcc and its specs name it.
		want="musl $musl_ver $RECIPE $prefix"
		if ! stamp_ok "$prefix/.stamp-cc" "$want" || [ ! -x "$prefix/bin/musl-gcc" ]; then
			d=$(fetch musl "$musl_ver")
			say "musl $musl_ver for $arch"
			rm -rf "${obj:?}/musl" && mkdir -p "$obj/musl"
			# --disable-shared, and syslibdir inside the prefix: nothing
			# is installed outside build/ (no /lib/ld-musl-i386.so.1).
			# The wrapper (musl-gcc and its specs) is asked for: on its own
			# configure builds it only if the compiler can already build
			# against some libc, and the cross gcc here has none.
			(cd "$obj/musl" && "$d/configure" --target=i686-linux-gnu CROSS_COMPILE=i686-linux-gnu- \
				--prefix="$prefix" --syslibdir="$prefix/lib" --disable-shared --enable-wrapper=gcc >configure.log 2>&1 &&
				make -j"$jobs" >make.log 2>&1 && make install >install.log 2>&1) ||
				die "musl for $arch failed: see $obj/musl/*.log"
			[ -x "$prefix/bin/musl-gcc" ] || die "musl for $arch installed no musl-gcc: see $obj/musl/configure.log"
			echo "$want" >"$prefix/.stamp-cc"
		fi
		;;
	win64 | win32)
		# Debian's mingw-w64: the libraries rebuild when it is upgraded.
		[ $arch = win64 ] && triplet=x86_64-w64-mingw32 || triplet=i686-w64-mingw32
		want="gcc-mingw-w64 $(dpkg-query -W -f='${Version}' "gcc-mingw-w64-$(echo ${triplet%%-*} | tr _ -)" 2>/dev/null) $RECIPE"
		stamp_ok "$prefix/.stamp-cc" "$want" || echo "$want" >"$prefix/.stamp-cc"
		;;
	*) die "unknown architecture $arch" ;;
	esac
	case $arch in
	win*) cc=$triplet-gcc host=$triplet ;;
	*) cc="$prefix/bin/musl-gcc" host="$arch-linux-musl" ;;
	esac

	# The libraries: static only, position-dependent, small.
	for pkg in jansson libsodium; do
		case $pkg in
		jansson) ver=$jansson_ver; lib=libjansson.a ;;
		libsodium) ver=$sodium_ver; lib=libsodium.a ;;
		esac
		# Windows: the oldest target is Windows Server 2003 SP2
		# (0x0502); libsodium then draws its randomness from
		# RtlGenRandom, which 2003 has.  mingw's own printf family
		# (__USE_MINGW_ANSI_STDIO), not msvcrt's: jansson prints reals
		# with snprintf("%.17g"), and msvcrt's writes three exponent
		# digits (1e+020), which would make a Windows test log's
		# canonical bytes differ from Linux's.
		case $arch in
		win*) cflags="-Os -D_WIN32_WINNT=0x0502 -D__USE_MINGW_ANSI_STDIO=1" ;;
		*) cflags="-Os -fno-pie" ;;
		esac
		want="$pkg $ver $RECIPE $(cat "$prefix/.stamp-cc")"
		case $arch in win*) want="$want $cflags" ;; esac
		if stamp_ok "$prefix/.stamp-$pkg" "$want" && [ -f "$prefix/lib/$lib" ]; then
			continue
		fi
		d=$(fetch "$pkg" "$ver")
		say "$pkg $ver for $arch"
		rm -rf "${obj:?}/$pkg" && mkdir -p "$obj/$pkg"
		(cd "$obj/$pkg" && CC="$cc" CFLAGS="$cflags" "$d/configure" --host="$host" \
			--prefix="$prefix" --disable-shared --enable-static >configure.log 2>&1 &&
			make -j"$jobs" >make.log 2>&1 && make install >install.log 2>&1) ||
			die "$pkg for $arch failed: see $obj/$pkg/*.log"
		echo "$want" >"$prefix/.stamp-$pkg"
	done
done
say "ready: $deps/{$(echo $ARCHES | tr ' ' ,)}"
