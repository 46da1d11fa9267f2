#!/usr/bin/env bash
# Checks for the Debian packages vscsi needs; installs the missing ones when
# run as root, otherwise prints the exact command and fails.
set -euo pipefail
pkgs=(qemu-system-x86 qemu-utils qemu-block-extra ovmf gnu-efi newlib-source
      python3-pytest libcmocka-dev xorriso mtools tgt libiscsi-bin
      clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "vscsi: missing Debian packages: ${missing[*]}" >&2
	echo "vscsi: run as root:  apt-get update && $cmd" >&2
	exit 1
fi
echo "vscsi: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 || true
apt-get install -y -q "${missing[@]}" >&2
