#!/bin/sh
# deps.sh: installs the Debian packages that triad needs to build and test.
# It asks dpkg first and calls apt-get only for what is missing, so it works
# offline when everything is present. Run as root (make test does).
set -eu

# Build: compiler, CMake, pkg-config and the -dev packages of common/.
BUILD="build-essential cmake pkg-config libevent-dev libssl-dev libyaml-dev
libmariadb-dev libcmocka-dev libjansson-dev"
# Test: real servers and clients used by the fixtures and integration tests,
# clang for the libFuzzer and sanitizer build.
TEST="clang libclang-rt-14-dev python3 curl openssl mariadb-server
mariadb-client iproute2 nftables procps php-cgi php-mysql sysbench keepalived
systemd dpkg-dev"
# Benchmarks and peers, installed with `make bench-deps`.
BENCH="wrk haproxy nginx php-fpm"

case "${1:-test}" in
build) want="$BUILD" ;;
test) want="$BUILD $TEST" ;;
bench) want="$BUILD $TEST $BENCH" ;;
*) echo "usage: deps.sh [build|test|bench]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root, or install them with apt-get" >&2
	exit 1
fi
echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Services in these packages (mariadb, nginx, haproxy) must not start on
# install: the tests start their own instances on free ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
