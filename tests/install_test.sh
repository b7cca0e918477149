#!/bin/sh
# The install as an outside user meets it: `make install` into a temporary prefix, a program
# built with `pkg-config --cflags --libs lift` alone and run against the installed liftd (ping,
# experiment, assign; its arm checked with the installed `liftctl bucket`), the static flags,
# the man pages and the unit; then `make uninstall` must leave no file behind. A staged
# install (DESTDIR, PREFIX=/usr/local) must put the Debian layout in place and remove it too.
# Run from the repository root by the install suite (tests/check_install.c); prints "install
# test: ok" last. Builds with the plain build folder (LIFT_INSTALL_BUILD, default build).
set -eu
VERSION=$(sed -n 's/^#define LIFT_VERSION "\(.*\)"/\1/p' include/lift/lift.h) # what liftd reports
fail() { echo "install test: FAIL: $*" >&2; exit 1; }
unset MAKEFLAGS MAKELEVEL MFLAGS
# A variable given on make's command line reaches the environment of everything make runs:
# under `make SANITIZE=address,undefined check` the install would otherwise build sanitized
# objects that a plain program cannot link. An outside user installs the plain build.
unset SANITIZE
B=${LIFT_INSTALL_BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/lift-install-XXXXXX")
LIFTD_PID=
cleanup() {
    if [ -n "$LIFTD_PID" ]; then kill "$LIFTD_PID" 2>/dev/null || :; wait "$LIFTD_PID" 2>/dev/null || :; fi
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
P=$T/prefix

# 1. Install into the prefix (a plain make into $B first: install only copies).
make -s --no-print-directory PREFIX="$P" install >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
for f in sbin/liftd bin/liftctl bin/liftsim include/lift/client.h include/lift/lift.h \
         include/lift/limits.h include/lift/currency.h include/lift/local.h include/lift/bucket.h \
         include/lift/keys.h include/lift/text.h include/lift/lift.pb-c.h lib/liblift.a \
         lib/liblift.so.1.0.0 lib/pkgconfig/lift.pc share/man/man8/liftd.8 \
         share/man/man1/liftctl.1 share/man/man1/liftsim.1 lib/systemd/system/liftd.service \
         etc/default/liftd; do
    [ -f "$P/$f" ] || fail "$f not installed"
done
[ "$(readlink "$P/lib/liblift.so")" = liblift.so.1 ] || fail "liblift.so does not point to liblift.so.1"
[ "$(readlink "$P/lib/liblift.so.1")" = liblift.so.1.0.0 ] || fail "liblift.so.1 does not point to liblift.so.1.0.0"
soname=$(objdump -p "$P/lib/liblift.so.1.0.0" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = liblift.so.1 ] || fail "SONAME is '$soname', not liblift.so.1"
echo "installed: $(cd "$P" && find . -type f -o -type l | wc -l) files, SONAME $soname"

# 2. The headers need nothing from the build folder; pkg-config alone builds the program.
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
flags=$(pkg-config --cflags --libs lift) || fail "pkg-config --cflags --libs lift"
case "$flags" in *"$PWD"*) fail "lift.pc points into the source tree: $flags" ;; esac
echo "pkg-config: $flags"
(cd "$T" && cc -std=c11 -Wall -Wextra -Werror -o lift_hello "$OLDPWD/tests/install/lift_hello.c" $flags) ||
    fail "cannot build a program with pkg-config --cflags --libs lift"
ldd "$T/lift_hello" | grep -q "liblift.so.1 => $P/lib/liblift.so.1" ||
    ldd "$T/lift_hello" | grep -q "liblift.so.1 => not found" || fail "lift_hello is not linked to liblift.so.1"
static=$(pkg-config --static --libs lift)
for l in -llift -lprotobuf-c -lzmq -lm; do
    case " $static " in *" $l "*) ;; *) fail "pkg-config --static --libs lift lacks $l: $static" ;; esac
done
echo "pkg-config --static: has -llift -lprotobuf-c -lzmq -lm"
# liblift.a with the flags lift.pc gives (the system libraries stay shared).
(cd "$T" && cc -std=c11 -o lift_hello_static "$OLDPWD/tests/install/lift_hello.c" \
     $(pkg-config --cflags lift) "$P/lib/liblift.a" $(pkg-config --libs libprotobuf-c libzmq) -lm) ||
    fail "cannot link lift_hello against liblift.a"
! ldd "$T/lift_hello_static" | grep -q liblift || fail "lift_hello_static uses the shared library"

# 3. Against the installed liftd: ping and assign, through the shared library.
"$P/sbin/liftd" --endpoint "ipc://$T/lift.sock" --data "$T/data" --currency EUR --log-level warn &
LIFTD_PID=$!
i=0
until "$P/bin/liftctl" --endpoint "ipc://$T/lift.sock" --timeout 200 --retries 1 ping >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "the installed liftd does not answer"
done
out=$(LD_LIBRARY_PATH="$P/lib" "$T/lift_hello" "ipc://$T/lift.sock" install-test "josé-42") ||
    fail "lift_hello failed: $out"
echo "$out"
echo "$out" | grep -qx "ping $VERSION EUR 2" || fail "unexpected ping line"
arm=$(printf 'josé-42\n' | "$P/bin/liftctl" bucket --seed install-test --weights 0.1,0.9 | cut -f2)
echo "$out" | grep -qx "assign josé-42 $arm $( [ "$arm" = 0 ] && echo holdout || echo offer) 1" ||
    fail "assign line differs from liftctl bucket (arm $arm)"
echo "$out" | grep -qx "bucket josé-42 $arm" || fail "lift_bucket (lift/bucket.h) differs from liftctl bucket (arm $arm)"
out2=$("$T/lift_hello_static" "ipc://$T/lift.sock" install-test "josé-42") || fail "lift_hello_static failed"
echo "$out2" | grep -qx "assign josé-42 $arm .* 0" || fail "the repeat is not sticky: $out2"
kill "$LIFTD_PID"; wait "$LIFTD_PID" || fail "liftd did not stop cleanly"
LIFTD_PID=

# 4. Man pages render without warnings; the unit and the example settings agree.
for m in share/man/man8/liftd.8 share/man/man1/liftctl.1 share/man/man1/liftsim.1; do
    w=$(MANWIDTH=80 man --warnings -l "$P/$m" 2>&1 >/dev/null) || fail "man -l $m"
    [ -z "$w" ] || fail "man $m: $w"
    MANWIDTH=80 man -l "$P/$m" 2>/dev/null | grep -q "^NAME" || fail "man $m has no NAME section"
done
u="$P/lib/systemd/system/liftd.service"
grep -q "^ExecStart=$P/sbin/liftd " "$u" || fail "the unit does not start the installed liftd"
grep -q "^EnvironmentFile=-$P/etc/default/liftd$" "$u" || fail "the unit does not read $P/etc/default/liftd"
for k in DynamicUser=yes StateDirectory=lift ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
         NoNewPrivileges=yes Restart=on-failure; do
    grep -qx "$k" "$u" || fail "the unit lacks $k"
done
for v in $(sed -n 's/^\([A-Z_]*\)=.*/\1/p' "$P/etc/default/liftd"); do
    grep -q "\${$v}\|\$$v" "$u" || fail "$v in etc/default/liftd is not used by the unit"
done
if command -v systemd-analyze >/dev/null 2>&1; then
    v=$(systemd-analyze verify --man=no "$u" 2>&1) || fail "systemd-analyze verify: $v"
    [ -z "$v" ] || fail "systemd-analyze verify: $v"
    echo "systemd-analyze verify: clean"
fi
echo "man pages and unit: ok"

# 5. Uninstall leaves no file; an edited configuration file stays.
echo "LIFTD_OPTS=--max-store-mb 100" >>"$P/etc/default/liftd"
make -s --no-print-directory PREFIX="$P" uninstall >"$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; fail "make uninstall"; }
left=$(cd "$P" && find . -type f -o -type l)
[ "$left" = "./etc/default/liftd" ] || fail "uninstall left: $left"
rm "$P/etc/default/liftd"

# 6. A staged install in the Debian layout, and its removal.
D=$T/stage
make -s --no-print-directory DESTDIR="$D" PREFIX=/usr install >"$T/stage.log" 2>&1 || { cat "$T/stage.log"; fail "staged install"; }
for f in usr/sbin/liftd usr/bin/liftctl usr/lib/liblift.so.1 usr/lib/pkgconfig/lift.pc \
         usr/share/man/man8/liftd.8 usr/lib/systemd/system/liftd.service etc/default/liftd; do
    [ -e "$D/$f" ] || fail "staged: $f missing"
done
grep -qx "prefix=/usr" "$D/usr/lib/pkgconfig/lift.pc" || fail "staged lift.pc prefix"
grep -q "^ExecStart=/usr/sbin/liftd " "$D/usr/lib/systemd/system/liftd.service" || fail "staged unit path"
make -s --no-print-directory DESTDIR="$D" PREFIX=/usr uninstall >>"$T/stage.log" 2>&1 || fail "staged uninstall"
left=$(cd "$D" && find . -type f -o -type l)
[ -z "$left" ] || fail "staged uninstall left: $left"
echo "staged install and uninstall: ok"
echo "install test: ok"
