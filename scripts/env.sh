# Sourced by the scripts: puts the Swift toolchain on PATH when it lives in /opt/swift.
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
# Optimise the DSP kernels and the language identifier in debug builds too (Package.swift): a package that
# depends on voxgate does not set this and so sees no unsafe flags.
export VOXGATE_OPTIMIZE_KERNELS=1
