#!/usr/bin/env bash
# deploy/install.sh - install Seinhuis from a build directory.
#
#   deploy/install.sh [BUILD_DIR]   (as root; default BUILD_DIR: ./build)
#   PREFIX_ROOT=/tmp/stage deploy/install.sh build
#
# Installs seinhuisd to /usr/sbin, seinctl and seinkey to /usr/bin, the
# manual pages to /usr/share/man, the systemd unit to /etc/systemd/system
# and the sample configuration to /usr/share/doc/seinhuis; creates the
# system user and group 'seinhuis' if missing, the directories
#   /etc/seinhuis         0750 root:seinhuis
#   /etc/seinhuis/keys    0700 seinhuis:seinhuis  (own identity, secret keys)
#   /etc/seinhuis/trust   0750 root:seinhuis      (partner cards)
#   /var/lib/seinhuis     0700 seinhuis:seinhuis  (data store)
# and /etc/seinhuis/seinhuisd.conf from the sample and
# /etc/seinhuis/catalogue.conf only if they do not exist yet. Running it
# again updates programs, pages and unit, and changes nothing else; when
# the site's catalogue differs from the one shipped, the shipped one is put
# next to it as catalogue.conf.dist, to compare. The unit file is
# overwritten each time: put local changes in a drop-in (systemctl edit
# seinhuisd), not in the unit file.
#
# PREFIX_ROOT (default empty) is put in front of every path written, so the
# installation can be staged or tested in another directory. With
# PREFIX_ROOT set, no user or group is created, no owner is changed and
# systemd is not told to reload; the owners listed above are printed for
# whoever finishes the installation on the target system.
set -euo pipefail

die() {
	echo "install.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: [PREFIX_ROOT=DIR] $0 [BUILD_DIR]   (default BUILD_DIR: ./build)"
}

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
esac
[ $# -le 1 ] || {
	usage >&2
	exit 2
}

build=${1:-./build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${PREFIX_ROOT:-}
root=${root%/}
user=seinhuis
group=seinhuis

# --- check the sources before touching anything --------------------------
for b in seinhuisd seinctl seinkey; do
	if ! [ -f "$build/$b" ] || ! [ -x "$build/$b" ]; then
		die "$build/$b not found: build first (cmake -S . -B build && make -C build), or give the build directory"
	fi
done
for f in man/seinhuisd.8 man/seinhuisd.conf.5 man/seinctl.1 man/seinkey.1 \
	systemd/seinhuisd.service seinhuisd.conf.sample catalogue.conf; do
	[ -f "$here/$f" ] || die "$here/$f is missing"
done
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
	die "run as root, or set PREFIX_ROOT to install into another directory"
fi
if [ -n "$root" ]; then
	case "$root" in
	/*) ;;
	*) root=$(pwd)/$root ;;
	esac
	mkdir -p "$root"
fi

# --- user and group --------------------------------------------------------
if [ -z "$root" ]; then
	if ! getent group "$group" >/dev/null; then
		groupadd --system "$group"
		echo "created group $group"
	fi
	if ! getent passwd "$user" >/dev/null; then
		useradd --system --gid "$group" --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin \
			--comment "Seinhuis daemon" "$user"
		echo "created user $user"
	fi
fi

# Create (or keep) a directory with a mode and, outside PREFIX_ROOT, owners.
own_dir() { # MODE OWNER GROUP PATH
	install -d -m "$1" "$root$4"
	if [ -z "$root" ]; then
		chown "$2:$3" "$root$4"
	fi
}

# --- programs, manual pages, unit, sample ---------------------------------
# mkdir -p leaves the modes of existing system directories alone.
mkdir -p "$root/usr/sbin" "$root/usr/bin" "$root/usr/share/man/man1" \
	"$root/usr/share/man/man5" "$root/usr/share/man/man8" \
	"$root/etc/systemd/system" "$root/usr/share/doc/seinhuis"
install -m 0755 "$build/seinhuisd" "$root/usr/sbin/seinhuisd"
install -m 0755 "$build/seinctl" "$root/usr/bin/seinctl"
install -m 0755 "$build/seinkey" "$root/usr/bin/seinkey"
install -m 0644 "$here/man/seinctl.1" "$here/man/seinkey.1" "$root/usr/share/man/man1/"
install -m 0644 "$here/man/seinhuisd.conf.5" "$root/usr/share/man/man5/"
install -m 0644 "$here/man/seinhuisd.8" "$root/usr/share/man/man8/"
install -m 0644 "$here/systemd/seinhuisd.service" "$root/etc/systemd/system/seinhuisd.service"
install -m 0644 "$here/seinhuisd.conf.sample" "$root/usr/share/doc/seinhuis/seinhuisd.conf.sample"
echo "installed programs, manual pages and $root/etc/systemd/system/seinhuisd.service"
echo "(the unit file is replaced at each install: local changes go in a drop-in, systemctl edit seinhuisd)"

# --- configuration, keys, trust store, data ------------------------------
own_dir 0750 root "$group" /etc/seinhuis
own_dir 0700 "$user" "$group" /etc/seinhuis/keys
own_dir 0750 root "$group" /etc/seinhuis/trust
mkdir -p "$root/var/lib"
own_dir 0700 "$user" "$group" /var/lib/seinhuis

cat=$root/etc/seinhuis/catalogue.conf
if [ -e "$cat" ]; then
	echo "kept the existing $cat"
	if ! cmp -s "$here/catalogue.conf" "$cat"; then
		install -m 0644 "$here/catalogue.conf" "$cat.dist"
		echo "installed the shipped catalogue as $cat.dist: compare it with yours (diff -u $cat $cat.dist)"
	fi
else
	install -m 0644 "$here/catalogue.conf" "$root/etc/seinhuis/catalogue.conf"
	echo "installed the signal catalogue as $root/etc/seinhuis/catalogue.conf"
fi

conf=/etc/seinhuis/seinhuisd.conf
if [ -e "$root$conf" ] || [ -L "$root$conf" ]; then
	echo "kept the existing $root$conf"
else
	install -m 0640 "$here/seinhuisd.conf.sample" "$root$conf"
	if [ -z "$root" ]; then
		chown "root:$group" "$root$conf"
	fi
	echo "created $root$conf from the sample"
fi

if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	systemctl daemon-reload
fi

if [ -n "$root" ]; then
	cat <<EOF

PREFIX_ROOT is set: no user or group was created and no owners were set.
On the target system, create the system user and group '$user' and set:
  chown root:$group   /etc/seinhuis /etc/seinhuis/trust /etc/seinhuis/seinhuisd.conf
  chown $user:$group  /etc/seinhuis/keys /var/lib/seinhuis
EOF
fi

cat <<EOF

Next steps:
 1. Review /etc/seinhuis/seinhuisd.conf (at least 'listen'); see seinhuisd.conf(5).
 2. Create this partner's identity, as the user '$user':
      runuser -u $user -- seinkey -c /etc/seinhuis/seinhuisd.conf init \\
        --partner ID --name "NAME" --role ROLE --endpoint tcp://HOST:7100
 3. Exchange cards with each partner, and compare the key fingerprints
    with them by telephone:
      runuser -u $user -- seinkey -c /etc/seinhuis/seinhuisd.conf card > ID.card
 4. Trust each partner's card:
      seinkey -c /etc/seinhuis/seinhuisd.conf trust PARTNER.card
      seinkey -c /etc/seinhuis/seinhuisd.conf list
 5. Check everything, then start the daemon:
      runuser -u $user -- seinhuisd -t -c /etc/seinhuis/seinhuisd.conf
      systemctl enable --now seinhuisd
 6. Let the people who send and take signals use seinctl:
      usermod -a -G $group USERNAME
EOF
