#!/usr/bin/env bash
# Seeds the corpora from the repository's BPF programs: every *.bpf.c that clang builds becomes an
# elf_load input, and each of its program sections (instructions as clang wrote them, relocations
# unapplied) becomes a vm_run input behind a header per mode (see uxdp_fuzz::decode).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../..
INC="-I/usr/include/$(uname -m)-linux-gnu"
mkdir -p corpus/elf_load corpus/vm_run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for src in "$ROOT"/crate/tests/bpf/*.bpf.c "$ROOT"/test/bpf/*.bpf.c "$ROOT"/test/kernel/*.bpf.c; do
  name=$(basename "$src" .bpf.c)
  obj="$tmp/$name.o"
  clang -O2 -g -target bpf $INC -I"$(dirname "$src")" -c "$src" -o "$obj" 2>/dev/null || { echo "skip $src (does not build alone)"; continue; }
  cp "$obj" "corpus/elf_load/$name.o"
  for sec in $(llvm-objdump -h "$obj" | awk '$4 ~ /^[0-9a-f]+$/ && $5 ~ /TEXT/ {print $2}'); do
    llvm-objcopy -O binary --only-section="$sec" "$obj" "$tmp/sec.bin" 2>/dev/null || continue
    [ -s "$tmp/sec.bin" ] || continue
    safe=$(echo "$sec" | tr -c 'A-Za-z0-9_\n' '_')
    # header: flags, length (2 bytes), metadata byte
    for hdr in '\x00\x40\x00\x00' '\x01\x40\x00\x00' '\x08\x00\x00\x00' '\x02\x40\x00\x00' '\x14\x00\x10\x21'; do
      tag=$(printf '%s' "$hdr" | tr -d '\\x')
      { printf "$hdr"; cat "$tmp/sec.bin"; } > "corpus/vm_run/${name}_${safe}_${tag}"
    done
  done
done
echo "elf_load: $(ls corpus/elf_load | wc -l) inputs, vm_run: $(ls corpus/vm_run | wc -l) inputs"
