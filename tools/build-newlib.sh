#!/usr/bin/env bash
# Builds newlib for x86_64-elf from Debian's newlib-source tarball with the
# host gcc, once; the result is cached under $1 (build/newlib-<version>).
# One -fPIC build serves both the -kernel ELF and the GNU-EFI application.
set -euo pipefail
prefix=$(realpath -m "$1")
tarball=$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | head -1)
[ -n "$tarball" ] || { echo "newlib-source is not installed" >&2; exit 1; }
[ -f "$prefix/x86_64-elf/lib/libc.a" ] && exit 0
work="$prefix.work"
rm -rf "$work" && mkdir -p "$work/obj"
echo "vscsi: building newlib from $tarball (about a minute, once)" >&2
tar -xf "$tarball" -C "$work"
src=$(ls -d "$work"/newlib*/ | head -1)
cd "$work/obj"
"$src/newlib/configure" --host=x86_64-elf --build=x86_64-linux-gnu --prefix="$prefix" \
	--disable-multilib --disable-newlib-supplied-syscalls \
	CC="gcc -ffreestanding -fno-stack-protector -mno-red-zone -fPIC -O2 -g" \
	AR=ar RANLIB=ranlib AS=as >"$work/configure.log" 2>&1
make -j"$(nproc)" >"$work/make.log" 2>&1
make install >"$work/install.log" 2>&1
cd / && rm -rf "$work"
echo "vscsi: newlib installed in $prefix" >&2
