#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR: installs BUILD_DIR into a temporary prefix,
# then builds and runs a consumer against it four ways: CMake
# find_package (shared, static) and pkg-config (shared, static).
set -eu
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/install" -B "$work/b" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/b" >/dev/null
"$work/b/consumer_shared"
"$work/b/consumer_static"
if ldd "$work/b/consumer_static" | grep -q libvconv; then
    echo "consumer_static is linked to the shared libvconv" >&2
    exit 1
fi
pc=$(dirname "$(find "$work/prefix" -name vconv.pc | head -n 1)")
libdir=$(dirname "$(find "$work/prefix" -name 'libvconv.a' | head -n 1)")
export PKG_CONFIG_PATH="$pc"
cc -o "$work/pc_shared" "$src/tests/install/consumer.c" \
   $(pkg-config --cflags --libs vconv)
LD_LIBRARY_PATH="$libdir" "$work/pc_shared"
cc -o "$work/pc_static" "$src/tests/install/consumer.c" \
   $(pkg-config --cflags vconv) "$libdir/libvconv.a" \
   $(pkg-config --static --libs vconv | sed 's/-lvconv//')
"$work/pc_static"
echo "install: find_package and pkg-config consumers, shared and static: ok"
