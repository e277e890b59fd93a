#!/bin/sh
# check_baseline_isa.sh [--expect-violations] OBJDUMP OBJECT...
# (objects may also come as one ';'-separated list, as CMake gives them)
#
# The library must load and run on any x86-64: every object that is not an
# ISA file (its name lacks avx2 / avx512[vnni/bf16] / avxvnni / neon as a word separated by '-'
# or '_', the rule CMakeLists.txt uses to give a file its -m flags) must
# contain no instruction that needs more than baseline x86-64:
#   - any use of a ymm / zmm register or an opmask register k0..k7;
#   - any VEX / EVEX-only mnemonic: v* (AVX, AVX2, FMA, F16C, AVX-512, but
#     not the old verr / verw / VMX vm*), k* opmask instructions, and the
#     VEX-encoded BMI1 / BMI2 integer ones (andn, bextr, blsi, blsmsk, blsr,
#     bzhi, mulx, pdep, pext, rorx, sarx, shlx, shrx).
# Exit 0 when the baseline objects are clean (and at least one was
# checked), 1 otherwise, listing the offending instructions. With
# --expect-violations the exit status is inverted (the self-test feeds it an
# object compiled with -mavx2 and expects it to be caught).
expect=0
if [ "$1" = "--expect-violations" ]; then
  expect=1
  shift
fi
objdump=$1
shift
if ! command -v "$objdump" >/dev/null 2>&1; then
  echo "check_baseline_isa: no objdump '$objdump'" >&2
  exit 2
fi
checked=0
skipped=0
bad=0
insns=0
# CMake passes $<TARGET_OBJECTS:...> as one ';'-separated argument
objects=$(printf '%s\n' "$@" | tr ';' '\n')
old_ifs=$IFS
IFS='
'
for o in $objects; do
  IFS=$old_ifs
  base=$(basename "$o")
  stem=${base%%.*}  # conv_ref.c.o -> conv_ref
  if echo "$stem" | grep -Eq '(^|[-_])(avx2|avx512|avx512vnni|avx512bf16|avx512amx|avxvnni|neon|neondot)($|[-_])'; then
    skipped=$((skipped + 1))
    continue
  fi
  if [ ! -f "$o" ]; then
    echo "check_baseline_isa: missing object $o" >&2
    exit 2
  fi
  checked=$((checked + 1))
  # GNU objdump writes "   4:\tvmovaps %ymm0,(%rdi)", llvm-objdump
  # "       4:      \tvmovaps\t%ymm0, (%rdi)": both parse below; the
  # instruction count guards against a format that parses as nothing
  out=$("$objdump" -d --no-show-raw-insn "$o" | awk -v obj="$base" '
    /^[0-9a-f]+ <.*>:$/ { fn = $2 }
    /^[ \t]*[0-9a-f]+:[ \t]/ {
      line = $0
      sub(/^[ \t]*[0-9a-f]+:[ \t]+/, "", line)
      if (line == "") next
      insns++
      n = split(line, w, /[ \t]+/)
      m = w[1]
      if (n > 1 && m ~ /^(rep|repz|repnz|repe|repne|lock|bnd|notrack|data16|addr32|cs|ds|es|ss|fs|gs)$/)
        m = w[2]
      bad = 0
      if (line ~ /%[yz]mm[0-9]/ || line ~ /%k[0-7]([^0-9]|$)/) bad = 1
      if (m ~ /^v/ && m !~ /^(verr|verw|vm(call|launch|resume|xoff|xon|read|write|clear|ptrld|ptrst|func|run|load|save|mcall))$/) bad = 1
      if (m ~ /^k(mov|and|andn|or|xor|xnor|not|shiftl|shiftr|ortest|test|add|unpck)/) bad = 1
      if (m ~ /^(andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx)$/) bad = 1
      if (bad) { count++; if (count <= 10) print obj " " fn " " line }
    }
    END { if (count > 10) print obj ": " count - 10 " more"
          print "#insns " insns + 0 }')
  n=$(echo "$out" | sed -n 's/^#insns //p')
  insns=$((insns + n))
  hits=$(echo "$out" | grep -v '^#insns ')
  if [ -n "$hits" ]; then
    echo "$hits"
    bad=$((bad + 1))
  fi
done
IFS=$old_ifs
echo "check_baseline_isa: $checked baseline objects checked ($insns instructions), $skipped ISA objects skipped, $bad with instructions beyond baseline x86-64"
if [ "$checked" -eq 0 ] || [ "$insns" -eq 0 ]; then
  echo "check_baseline_isa: nothing checked (objdump output not understood?)" >&2
  exit 2
fi
if [ "$expect" -eq 1 ]; then
  [ "$bad" -gt 0 ] && exit 0
  echo "check_baseline_isa: the AVX object was NOT caught" >&2
  exit 1
fi
[ "$bad" -eq 0 ]
