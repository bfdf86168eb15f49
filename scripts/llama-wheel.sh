#!/usr/bin/env bash
# Build llama-cpp-python once, portably, into a wheelhouse keyed by its version and build flags.
#
# pip's own build uses -march=native (GGML_NATIVE), which on some CPUs switches on llama.cpp's
# AMX path; virtual machines that do not allow AMX tiles then crash with SIGSEGV in
# ggml_backend_amx_mul_mat. pip's wheel cache does not key on CMAKE_ARGS, so a native wheel in
# it is reused silently. This script never uses pip's cache: it builds with explicit, portable
# flags (no -march=native, no AMX, no AVX-512) and keeps the wheel in
#   ${DDD_LLM_WHEELHOUSE:-~/.cache/ddd-llm/wheelhouse}/llama-cpp-python-VERSION-FLAGSHASH/
# The Makefile installs llama-cpp-python from that folder only (--only-binary).
#
# Usage: scripts/llama-wheel.sh [PYTHON]   prints the wheelhouse folder on its last line;
#        DDD_LLM_REBUILD_LLAMA=1 scripts/llama-wheel.sh [PYTHON] builds it again.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
py="${1:-python3}"
version="$(sed -n 's/^llama-cpp-python==\([^ ;]*\).*/\1/p' "$here/requirements/lock.txt" | head -n 1)"
[ -n "$version" ] || { echo "llama-wheel: no llama-cpp-python pin in requirements/lock.txt" >&2; exit 2; }

# x86-64 SIMD levels the CPU has, from a fixed portable ladder; never native, never AMX/AVX-512.
flags="-DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF -DLLAMA_CURL=OFF"
flags="$flags -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
flags="$flags -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF"
if [ "$(uname -m)" = x86_64 ]; then
  cpu="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
  has() { case " $cpu " in *" $1 "*) echo ON ;; *) echo OFF ;; esac; }
  avx2="$(has avx2)"; fma="$(has fma)"; f16c="$(has f16c)"
  # AVX2 without FMA/F16C is rare; only use the AVX2 level when all three are there.
  [ "$avx2" = ON ] && [ "$fma" = ON ] && [ "$f16c" = ON ] || { avx2=OFF; fma=OFF; f16c=OFF; }
  flags="$flags -DGGML_AVX=$(has avx) -DGGML_AVX2=$avx2 -DGGML_FMA=$fma -DGGML_F16C=$f16c"
  flags="$flags -DGGML_AVX_VNNI=OFF -DGGML_BMI2=OFF"
fi
key="$(printf '%s %s %s' "$version" "$flags" "$("$py" -c 'import sys; print(sys.implementation.cache_tag)')" \
  | sha256sum | cut -c1-12)"
house="${DDD_LLM_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/ddd-llm/wheelhouse}/llama-cpp-python-$version-$key"

[ "${DDD_LLM_REBUILD_LLAMA:-0}" = 1 ] && rm -rf "$house"
if ! ls "$house"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
  echo "llama-wheel: building llama-cpp-python $version portably (about 5 minutes on 2 cores)" >&2
  echo "llama-wheel: CMAKE_ARGS=$flags" >&2
  tmp="$house.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  CMAKE_ARGS="$flags" FORCE_CMAKE=1 CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    "$py" -m pip wheel --no-cache-dir --no-deps --no-binary llama-cpp-python \
    -w "$tmp" "llama-cpp-python==$version" >&2
  printf '%s\n' "$flags" > "$tmp/CMAKE_ARGS"
  rm -rf "$house"; mv "$tmp" "$house"
fi
echo "$house"
