#!/usr/bin/env bash
# Builds and lints the Bicep templates under infra/, offline, and fails on any warning or error.
#
# The Bicep CLI comes from NuGet (Azure.Bicep.CommandLine.linux-x64, restored by infra/tools/bicep.proj),
# so CI and developers need nothing but the .NET SDK. Bicep reports type errors (a wrong enum, an unknown
# property) as warnings with exit code 0, so "exit code 0" is not enough: any diagnostic output fails the run.
#
# Output: artifacts/infra/main.json and artifacts/infra/subscriptions.json (ARM JSON).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
infra="$repo/infra"
out="$repo/artifacts/infra"
proj="$infra/tools/bicep.proj"

# The version lives in one place: the PackageDownload item of bicep.proj.
version="$(sed -n 's/.*Azure\.Bicep\.CommandLine\.linux-x64" Version="\[\([^]]*\)\]".*/\1/p' "$proj")"
if [[ -z "$version" ]]; then
  echo "bicep.sh: could not read the Bicep CLI version from $proj" >&2
  exit 1
fi

echo "bicep.sh: restoring Bicep CLI $version"
dotnet restore "$proj" --nologo --verbosity quiet

packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')"
bicep="${packages%/}/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [[ ! -f "$bicep" ]]; then
  echo "bicep.sh: $bicep not found after restore" >&2
  exit 1
fi
[[ -x "$bicep" ]] || chmod +x "$bicep"
echo "bicep.sh: $("$bicep" --version)"

mkdir -p "$out"
failed=0

# Runs one bicep command; any output (warnings, errors, info) or a non-zero exit fails the script.
run() {
  local label="$1"
  shift
  local output status=0
  output="$("$bicep" "$@" 2>&1)" || status=$?
  if [[ $status -ne 0 || -n "$output" ]]; then
    echo "FAIL $label (exit $status)"
    [[ -n "$output" ]] && printf '%s\n' "$output"
    failed=1
  else
    echo "ok   $label"
  fi
}

for template in main subscriptions; do
  run "build $template.bicep" build "$infra/$template.bicep" --outfile "$out/$template.json"
done

for file in "$infra"/main.bicep "$infra"/subscriptions.bicep "$infra"/app/*.bicep; do
  run "lint ${file#"$repo"/}" lint "$file"
done

if [[ $failed -ne 0 ]]; then
  echo "bicep.sh: Bicep reported problems (see above)" >&2
  exit 1
fi
echo "bicep.sh: all templates build and lint clean; ARM JSON in ${out#"$repo"/}/"
