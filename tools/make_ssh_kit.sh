#!/bin/sh
# A self-contained OpenSSH kit (ssh, sshd, ssh-keygen) for the remote-host tests on a machine that
# has no OpenSSH: the binaries of this Debian machine, every library they load, glibc and its
# loader included, and launchers that run them with that loader. It runs from any folder (unpack
# it in /tmp, never into /) whatever the target's glibc or distribution (x86-64 Linux).
#
#   tools/make_ssh_kit.sh [KIT]       build the kit in KIT (default .sshkit; keep it out of git,
#                                     e.g. `echo /.sshkit/ >> .git/info/exclude`; build/ is ignored)
#   tools/make_ssh_kit.sh --download [KIT]
#                                     take the binaries from `apt-get download` of openssh-client and
#                                     openssh-server (unpacked with dpkg -x) instead of the installed
#                                     ones; the libraries still come from this machine
#
# Use: put KIT/bin first on PATH. Then `ssh` (as the product runs it), `sshd` and `ssh-keygen` are
# the kit's (the tests find sshd on PATH, or in GPUPROF_TEST_SSHD). Building needs cc (static libc)
# and python3; running needs only /proc on the target.
#
#   KIT/bin/NAME         a static launcher: it opens KIT/lib/ld-linux-x86-64.so.2 on fd 63, sets
#                        LD_LIBRARY_PATH=KIT/lib and execs KIT/libexec/NAME with argv unchanged
#                        (KIT found from /proc/self/exe). The process is the program itself, with
#                        the command line it was given: the product finds its ssh by that line.
#   KIT/libexec/NAME     the real binaries, their interpreter set to /proc/self/fd/63
#   KIT/lib              their libraries (ldd), glibc's other pieces (for the target's NSS modules),
#                        libgcc_s, the loader, and libsshkit_privsep.so
#
# sshd re-executes itself through its argv[0] (an absolute path: the launcher), so the re-exec
# goes through the launcher too; no `-r` is needed. As root sshd needs its privilege-separation user
# `sshd` and the folder /run/sshd: libsshkit_privsep.so (preloaded into sshd only) answers for a
# missing `sshd` user (uid/gid 65534) and stands KIT/empty in for a missing /run/sshd. As another
# user sshd needs neither (it serves that user only). The sessions sshd starts get a fresh
# environment (no LD_*): the shell and python3 there use the target's own libraries.
set -eu

download=false
if [ "${1:-}" = --download ]; then
  download=true
  shift
fi
kit=${1:-.sshkit}
loader=/lib64/ld-linux-x86-64.so.2
names="ssh sshd ssh-keygen"

[ "$(uname -m)" = x86_64 ] || { echo "make_ssh_kit: x86-64 only" >&2; exit 1; }
[ -e "$loader" ] || { echo "make_ssh_kit: no $loader here" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# -- the binaries ------------------------------------------------------------------------------
if $download || [ ! -x /usr/bin/ssh ] || [ ! -x /usr/sbin/sshd ] || [ ! -x /usr/bin/ssh-keygen ]; then
  (cd "$work" && apt-get download openssh-client openssh-server >/dev/null)
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
  src=$work/root
else
  src=""
fi
path_of() {
  case $1 in sshd) echo "$src/usr/sbin/sshd" ;; *) echo "$src/usr/bin/$1" ;; esac
}

rm -rf "$kit"
mkdir -p "$kit/bin" "$kit/libexec" "$kit/lib" "$kit/empty"
chmod 755 "$kit/empty"
: >"$kit/empty/.keep" # a copy that drops empty folders keeps it
kit=$(cd "$kit" && pwd -P)

for name in $names; do
  cp "$(path_of "$name")" "$kit/libexec/$name"
done

# -- the libraries: what ldd names, under the name the binaries ask for ---------------------------
for name in $names; do
  if ldd "$kit/libexec/$name" | grep -q 'not found'; then
    echo "make_ssh_kit: $name misses libraries here:" >&2
    ldd "$kit/libexec/$name" | grep 'not found' >&2
    exit 1
  fi
  ldd "$kit/libexec/$name" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
done | sort -u | while read -r soname path; do
  cp -L "$path" "$kit/lib/$soname"
done
cp -L "$loader" "$kit/lib/ld-linux-x86-64.so.2"
# glibc's other pieces: the target's NSS modules (its /etc/nsswitch.conf: compat, sss, systemd...)
# are loaded at run time and may need them, and they must match the kit's libc, not the target's.
libc_dir=$(ldd "$kit/libexec/ssh" | awk '$1 == "libc.so.6" { sub("/[^/]*$", "", $3); print $3 }')
for soname in libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libutil.so.1 libanl.so.1 \
  libnss_compat.so.2 libnss_dns.so.2 libnss_files.so.2 libnss_hesiod.so.2; do
  cp -L "$libc_dir/$soname" "$kit/lib/$soname"
done
# pthread_cancel and friends dlopen libgcc_s; NSS's "files" is inside libc.
gcc_s=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ { print $NF; exit }')
[ -n "$gcc_s" ] && cp -L "$gcc_s" "$kit/lib/libgcc_s.so.1"

# -- sshd as root without an `sshd` user or /run/sshd ---------------------------------------------
cat >"$work/privsep.c" <<'EOF'
/* Preloaded into the kit's sshd: a missing privilege-separation user `sshd` reads as uid/gid 65534,
   and a missing /run/sshd (its chroot) as the kit's empty folder. Nothing else changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char privsep_dir[] = "/run/sshd";

static const char *stand_in(const char *path) {
  static char empty[PATH_MAX];
  struct stat st;
  Dl_info info;
  if (path == NULL || strcmp(path, privsep_dir) != 0) return path;
  int (*real_stat)(const char *, struct stat *) = (int (*)(const char *, struct stat *))dlsym(RTLD_NEXT, "stat");
  if (real_stat(path, &st) == 0 || errno != ENOENT) return path;
  if (empty[0] == '\0') {
    if (!dladdr((void *)stand_in, &info) || info.dli_fname == NULL) return path;
    char *slash = strrchr(strncpy(empty, info.dli_fname, sizeof empty - 16), '/');
    if (slash == NULL) return path;
    strcpy(slash, "/../empty");
  }
  return empty;
}

struct passwd *getpwnam(const char *name) {
  static struct passwd privsep = {"sshd", "*", 65534, 65534, "", "/run/sshd", "/bin/false"};
  struct passwd *(*real)(const char *) = (struct passwd * (*)(const char *)) dlsym(RTLD_NEXT, "getpwnam");
  struct passwd *found = real(name);
  if (found == NULL && strcmp(name, "sshd") == 0) return &privsep;
  return found;
}

int stat(const char *path, struct stat *st) {
  int (*real)(const char *, struct stat *) = (int (*)(const char *, struct stat *))dlsym(RTLD_NEXT, "stat");
  return real(stand_in(path), st);
}

int chroot(const char *path) {
  int (*real)(const char *) = (int (*)(const char *))dlsym(RTLD_NEXT, "chroot");
  return real(stand_in(path));
}
EOF
cc -shared -fPIC -O2 -Wall -o "$kit/lib/libsshkit_privsep.so" "$work/privsep.c"

# -- the launchers ---------------------------------------------------------------------------------
# The real binaries ask the kernel for the interpreter /proc/self/fd/63, which their launcher opens
# on the kit's loader just before it execs them with its own argv: the process is then the program
# itself, with the command line it was given (the product finds its ssh by its command line).
python3 - "$kit"/libexec/* <<'EOF_PY'
import struct, sys
INTERP = b"/proc/self/fd/63"
for path in sys.argv[1:]:
    with open(path, "r+b") as elf:
        head = elf.read(64)
        assert head[:5] == b"\x7fELF\x02", path
        (phoff,) = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        for i in range(phnum):
            elf.seek(phoff + i * phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", elf.read(40))
            if p_type == 3:  # PT_INTERP
                assert len(INTERP) < p_filesz, path
                elf.seek(p_offset)
                elf.write(INTERP.ljust(p_filesz, b"\0"))
                break
        else:
            raise SystemExit(f"{path}: no PT_INTERP")
EOF_PY
cat >"$work/launcher.c" <<'EOF_C'
/* KIT/bin/NAME: run KIT/libexec/NAME with the kit's loader and libraries, argv unchanged. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOADER_FD 63 /* the interpreter the real binaries name: /proc/self/fd/63 */

int main(int argc, char **argv) {
  char kit[PATH_MAX], name[NAME_MAX + 1], path[PATH_MAX + NAME_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", kit, sizeof kit - 1);
  if (n <= 0) {
    perror("OpenSSH kit: /proc/self/exe");
    return 255;
  }
  kit[n] = '\0';
  char *slash = strrchr(kit, '/');
  snprintf(name, sizeof name, "%s", slash + 1);
  *slash = '\0'; /* KIT/bin */
  if ((slash = strrchr(kit, '/')) != NULL) *slash = '\0'; /* KIT */
  snprintf(path, sizeof path, "%s/lib/ld-linux-x86-64.so.2", kit);
  int fd = open(path, O_RDONLY);
  if (fd < 0 || (fd != LOADER_FD && (dup2(fd, LOADER_FD) < 0 || close(fd) < 0))) {
    perror(path);
    return 255;
  }
  snprintf(path, sizeof path, "%s/lib", kit);
  setenv("LD_LIBRARY_PATH", path, 1);
  unsetenv("LD_PRELOAD");
  snprintf(path, sizeof path, "%s/lib/libsshkit_privsep.so", kit);
  if (strcmp(name, "sshd") == 0) setenv("LD_PRELOAD", path, 1);
  snprintf(path, sizeof path, "%s/libexec/%s", kit, name);
  execv(path, argv);
  perror(path);
  (void)argc;
  return 255;
}
EOF_C
cc -static -O2 -Wall -o "$work/launcher" "$work/launcher.c"
strip "$work/launcher"
for name in $names; do
  cp "$work/launcher" "$kit/bin/$name"
done

# -- check it runs with nothing of this machine's --------------------------------------------------
env -i "$kit/bin/ssh" -V
env -i "$kit/bin/ssh-keygen" -q -t ed25519 -N "" -f "$work/probe_key" >/dev/null
env -i "$kit/bin/sshd" -t -f /dev/null -h "$work/probe_key"
echo "OpenSSH kit in $kit: $(du -sh "$kit" | cut -f1)"
