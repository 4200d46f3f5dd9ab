#!/usr/bin/env bash
# Measures the BLAS candidates on gradpath's shapes, alternating libraries round by round so a
# shared machine's load falls on all of them alike. Usage: blas-bench.sh [threads] [rounds] [reps]
# Needs: apt-get install build-essential libopenblas-dev libopenblas0-pthread libblis-dev libdnnl-dev
set -euo pipefail
threads=${1:-2} rounds=${2:-3} reps=${3:-3}
src="$(dirname "$0")/blas-bench.c" out=$(mktemp -d) L=/usr/lib/x86_64-linux-gnu
inc=/usr/include/x86_64-linux-gnu
gcc -O2 -DUSE_OPENBLAS -I$inc/openblas-pthread "$src" -o $out/openblas-pthread $L/openblas-pthread/libopenblas.so.0 -Wl,-rpath,$L/openblas-pthread
gcc -O2 -DUSE_OPENBLAS -I$inc/openblas-pthread "$src" -o $out/openblas-openmp $L/openblas-openmp/libopenblas.so.0 -Wl,-rpath,$L/openblas-openmp
gcc -O2 -I$inc/blis-openmp "$src" -o $out/blis $L/blis-openmp/libblis.so.4
gcc -O2 -DUSE_DNNL "$src" -o $out/onednn -ldnnl
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads BLIS_NUM_THREADS=$threads
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $threads threads, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  $out/openblas-pthread "$reps" openblas-pthread
  OPENBLAS_CORETYPE=SkylakeX $out/openblas-pthread "$reps" openblas-pthread
  OPENBLAS_CORETYPE=SkylakeX $out/openblas-openmp "$reps" openblas-openmp
  OPENBLAS_CORETYPE=Cooperlake $out/openblas-pthread "$reps" openblas-pthread
  $out/blis "$reps" blis-openmp
  $out/onednn "$reps" onednn
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$out"
